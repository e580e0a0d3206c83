"""Optional API-key check: with a key configured, requests must present it."""

from __future__ import annotations

import json
import secrets

_MISSING = ("You didn't provide an API key. You need to provide your API key in an Authorization header using "
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")


class APIKeyMiddleware:
    """Pure ASGI, so streamed responses pass through untouched."""

    def __init__(self, app, api_key: str | None) -> None:
        self.app = app
        self.api_key = api_key

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not self.api_key:
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        presented = headers.get("api-key")  # Azure clients send this header
        authorization = headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            presented = authorization[7:].strip()
        if presented and secrets.compare_digest(presented.encode(), self.api_key.encode()):
            return await self.app(scope, receive, send)
        if presented:
            shown = presented[:3] + "*" * max(0, len(presented) - 7) + presented[-4:]
            message = f"Incorrect API key provided: {shown}."
            code = "invalid_api_key"
        else:
            message, code = _MISSING, None
        body = json.dumps({"error": {"message": message, "type": "invalid_request_error", "param": None,
                                     "code": code}}).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
