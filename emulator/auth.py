"""Optional API-key check: with a key configured, requests must present it (checked by `api.wire.Edge`)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from emulator.errors import Unauthorized

_MISSING = ("You didn't provide an API key. You need to provide your API key in an Authorization header using "
            "Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")


def refusal(headers: Mapping[bytes, bytes], api_key: str) -> Unauthorized | None:
    """None when the request's headers (lower-case names) present `api_key`; else the 401 to answer."""
    presented = headers[b"api-key"].decode("latin-1") if b"api-key" in headers else None  # Azure clients
    authorization = headers.get(b"authorization", b"").decode("latin-1")
    if authorization.lower().startswith("bearer "):
        presented = authorization[7:].strip()
    if presented and secrets.compare_digest(presented.encode(), api_key.encode()):
        return None
    if presented:
        shown = presented[:3] + "*" * max(0, len(presented) - 7) + presented[-4:]
        return Unauthorized(f"Incorrect API key provided: {shown}.", code="invalid_api_key")
    return Unauthorized(_MISSING)
