"""Exceptions raised by route handlers, answered in OpenAI's error shape.

Anything not handled here (or re-raised) reaches `wire.LastResortMiddleware`, which answers 500.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from emulator.api.validation import param_path
from emulator.errors import APIError

log = logging.getLogger(__name__)


def _error(status: int, message: str, *, param: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": "invalid_request_error", "param": param,
                                   "code": None}}, status_code=status)


async def api_error(_request: Request, exc: APIError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers or None)


async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 405:
        return _error(405, f"Invalid method for URL ({request.method} {request.url.path}).")
    if exc.status_code == 404:
        return _error(404, f"Invalid URL ({request.method} {request.url.path}).")
    return _error(exc.status_code, str(exc.detail))


async def unfit_body(request: Request, exc: Exception) -> JSONResponse:
    """A body that passed validation but still did not fit what a handler builds from it: the request's
    fault, so a 400 (logged with its traceback, since it also means validation missed something)."""
    if request.method != "POST":
        raise exc  # no body was sent: a server bug, answered with a 500 by LastResortMiddleware
    log.error("request body did not fit on %s %s", request.method, request.url.path, exc_info=exc)
    if isinstance(exc, ValidationError) and exc.errors():
        first = exc.errors()[0]
        where = param_path(part if isinstance(part, int) else str(part) for part in first["loc"]) or None
        message = f"Invalid '{where}': {first['msg']}." if where else f"Invalid request: {first['msg']}."
        return _error(400, message, param=where)
    if isinstance(exc, KeyError) and exc.args:
        return _error(400, f"Missing required parameter: '{exc.args[0]}'.", param=str(exc.args[0]))
    return _error(400, "Invalid request: a parameter has a value this endpoint cannot use.")


HANDLERS = {APIError: api_error, HTTPException: http_error,
            ValidationError: unfit_body, KeyError: unfit_body, TypeError: unfit_body}
