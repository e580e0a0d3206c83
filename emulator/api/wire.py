"""The server's edge: one pure-ASGI layer in front of the routes.

In order, it refuses a body declared larger than the limit, checks the API key (except on the few
public paths it is given: the inspector's page and files), counts a chunked
body's bytes against the limit as they are read, sends requests marked `OpenAI-Beta: assistants=v1`
through the v1 dialect (`emulator.api.assistants_v1`), and answers what escapes the routes: routing's
404 and 405, and any unexpected error, as OpenAI's JSON on a connection that stays usable.

One layer rather than four, each with its own coroutine and `send` wrapper: on the read path that
stacking cost about as much as the query (bench/read_path.py). Pure ASGI, so streamed responses pass
through untouched.
"""

from __future__ import annotations

import logging
import re

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator import auth
from emulator.api import error_handlers
from emulator.api.assistants_v1 import V1Dialect, is_v1
from emulator.errors import APIError, RequestTooLarge, ServerError

log = logging.getLogger(__name__)

# What uvicorn refuses in a header value (it then has no way to answer on that connection).
_BAD_HEADER_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def _too_large(limit: int, upload: bool) -> RequestTooLarge:
    what = "a file upload" if upload else "a JSON body"
    return RequestTooLarge(
        f"Request too large: the body is larger than {limit} bytes, the most this server accepts for {what}.",
        code="request_too_large",
    )


def _counted(receive: Receive, limit: int, upload: bool) -> Receive:
    """`receive`, raising a 413 as soon as the body read passes `limit`."""
    received = 0

    async def counted_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise _too_large(limit, upload)
        return message

    return counted_receive


class Edge:
    """Body limits: a body declared (`Content-Length`) over the limit is refused before the app runs; a
    chunked one as soon as the bytes read pass it. Uploads (multipart) have their own, larger limit.

    Errors: any exception that escapes the app before its response started becomes OpenAI's 500 JSON
    (an APIError raised outside a route, its own status). Starlette's handler for `Exception` answers
    and then re-raises, and uvicorn closes a connection whose app raised, without `Connection: close`:
    a kept-alive client's next request would fail too. Once a response has started (a stream), nothing
    can be sent cleanly, so the error goes on to uvicorn.
    """

    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int,
                 api_key: str | None = None, public_paths: tuple[str, ...] = ()) -> None:
        self.app = app
        self.public_paths = frozenset(public_paths)
        """Paths served without the API key (the inspector's page and its files: they hold no data)."""
        self.v1_app = V1Dialect(app)
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes
        self.api_key = api_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        # Each header's first value (as Starlette's Headers.get gives it) in one pass: Headers would
        # walk the list again for each of the names read here. ASGI header names are lower-case.
        headers = dict(reversed(scope["headers"]))
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        limit = self.max_upload_bytes if upload else self.max_json_bytes
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            return await error_handlers.send_error(send, _too_large(limit, upload))
        if self.api_key and scope["path"] not in self.public_paths \
                and (refusal := auth.refusal(headers, self.api_key)) is not None:
            return await error_handlers.send_error(send, refusal)
        if not declared.isdigit() and (declared or b"transfer-encoding" in headers):
            # A body of unknown length. (With a Content-Length the server reads no more than it says;
            # with neither header there is no body.)
            receive = _counted(receive, limit, upload)
        app = self.v1_app if b"openai-beta" in headers and is_v1(scope) else self.app
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", []):
                    if _BAD_HEADER_VALUE.search(value):
                        raise ValueError(f"response header {name!r} has a control character")
                started = True
            await send(message)

        try:
            await app(scope, receive, watched_send)
        except Exception as exc:
            if started:
                raise
            await _answer(exc, scope, receive, send)


async def _answer(exc: Exception, scope: Scope, receive: Receive, send: Send) -> None:
    if isinstance(exc, HTTPException):  # the router's 404 or 405
        response = await error_handlers.http_error(Request(scope), exc)
        return await response(scope, receive, send)
    if isinstance(exc, APIError):
        return await error_handlers.send_error(send, exc)
    log.error("unhandled error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
    await error_handlers.send_error(send, ServerError.unexpected())
