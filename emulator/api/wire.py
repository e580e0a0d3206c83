"""Guards at the edge of the wire: body size limits, and a last-resort answer for unexpected errors.

Both are pure ASGI middleware, so streamed responses pass through untouched.
"""

from __future__ import annotations

import json
import logging
import re

from starlette.datastructures import Headers

from emulator.errors import APIError, RequestTooLarge, ServerError

log = logging.getLogger(__name__)

# What uvicorn refuses in a header value (it then has no way to answer on that connection).
_BAD_HEADER_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


async def send_error(send, error: APIError) -> None:
    """An API error as a complete JSON response."""
    body = json.dumps(error.body()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _too_large(limit: int, upload: bool) -> RequestTooLarge:
    what = "a file upload" if upload else "a JSON body"
    return RequestTooLarge(
        f"Request too large: the body is larger than {limit} bytes, the most this server accepts for {what}.",
        code="request_too_large",
    )


class BodyLimitMiddleware:
    """413 for bodies over the limit: refused on `Content-Length` before the app runs, or, for chunked
    bodies, as soon as the bytes read pass the limit. Uploads (multipart) have their own, larger limit."""

    def __init__(self, app, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        upload = headers.get("content-type", "").lower().startswith("multipart/")
        limit = self.max_upload_bytes if upload else self.max_json_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await send_error(send, _too_large(limit, upload))
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit, upload)
            return message

        await self.app(scope, limited_receive, send)


class LastResortMiddleware:
    """Any exception that escapes the app before its response started becomes OpenAI's 500 JSON (or,
    for an APIError raised by a middleware, its own status), and the connection stays usable.

    Starlette's own handler for `Exception` answers and then re-raises, and uvicorn closes a connection
    whose app raised, without `Connection: close`: a kept-alive client's next request then fails too.
    Once a response has started (a stream) nothing can be sent cleanly, so the error goes on to uvicorn.
    """

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def watched_send(message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", []):
                    if _BAD_HEADER_VALUE.search(value):
                        raise ValueError(f"response header {name!r} has a control character")
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except APIError as error:
            if started:
                raise
            await send_error(send, error)
        except Exception:
            if started:
                raise
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            await send_error(send, ServerError.unexpected())
