"""Errors answered in OpenAI's error shape: those route handlers raise (`handler_for`, used by
`routing.ApiRoute`), routing's 404 and 405 (`http_error`), and the edge's own (`send_error`).

Anything not handled here (or re-raised) reaches `wire.Edge`, which answers 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Send

from emulator.api.validation import param_path
from emulator.errors import APIError

log = logging.getLogger(__name__)


# JSONResponse's encoding, with the encoder made once instead of for every response.
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def _json(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> Response:
    return Response(_ENCODER.encode(body), status_code=status, media_type="application/json", headers=headers)


def _error(status: int, message: str, *, param: str | None = None) -> Response:
    return _json({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}},
                 status)


async def api_error(_request: Request, exc: APIError) -> Response:
    return _json(exc.body(), exc.status_code, exc.headers or None)


async def http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return _error(405, f"Invalid method for URL ({request.method} {request.url.path}).")
    if exc.status_code == 404:
        return _error(404, f"Invalid URL ({request.method} {request.url.path}).")
    return _error(exc.status_code, str(exc.detail))


async def unfit_body(request: Request, exc: Exception) -> Response:
    """A body that passed validation but still did not fit what a handler builds from it: the request's
    fault, so a 400 (logged with its traceback, since it also means validation missed something)."""
    if request.method != "POST":
        raise exc  # no body was sent: a server bug, answered with a 500 by wire.Edge
    log.error("request body did not fit on %s %s", request.method, request.url.path, exc_info=exc)
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = param_path(part if isinstance(part, int) else str(part) for part in first["loc"]) or None
        message = f"Invalid '{where}': {first['msg']}." if where else f"Invalid request: {first['msg']}."
        return _error(400, message, param=where)
    if isinstance(exc, KeyError) and exc.args:
        return _error(400, f"Missing required parameter: '{exc.args[0]}'.", param=str(exc.args[0]))
    return _error(400, "Invalid request: a parameter has a value this endpoint cannot use.")


ErrorHandler = Callable[[Request, Any], Awaitable[Response]]
HANDLERS: dict[type[Exception], ErrorHandler] = {
    APIError: api_error, HTTPException: http_error, ValidationError: unfit_body, KeyError: unfit_body,
    TypeError: unfit_body}


def handler_for(exc: Exception) -> ErrorHandler | None:
    """The handler of the nearest class of `exc` that has one (None: a server error)."""
    for cls in type(exc).__mro__:
        if (handler := HANDLERS.get(cls)) is not None:
            return handler
    return None


async def send_error(send: Send, error: APIError) -> None:
    """An API error as a complete JSON response, for the layers in front of the routes."""
    body = json.dumps(error.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
