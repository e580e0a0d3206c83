"""The v1 dialect as a pure ASGI layer: v1 request bodies into v2 on the way in, v2 JSON into v1 on the way out."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.api import error_handlers
from emulator.api.assistants_v1.requests import rewrite_request
from emulator.api.assistants_v1.responses import ResponseRewriter
from emulator.app_state import AppState
from emulator.errors import APIError


def is_v1(scope: Scope) -> bool:
    return any("assistants=v1" in value.lower().replace(" ", "")
               for value in Headers(scope=scope).getlist("openai-beta"))


class V1Dialect:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        services = AppState.of(scope["app"]).started().services
        if scope["method"] == "POST":
            try:
                body = rewrite_request(services, scope["path"], await _read_body(receive))
            except APIError as exc:
                return await error_handlers.send_error(send, exc)
            receive = _replay(body, receive)
        await self.app(scope, receive, ResponseRewriter(send, services))


async def _read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """The rewritten body once, then the client's own messages (a streamed response waits on its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive
