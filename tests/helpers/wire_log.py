"""An httpx2 transport (openai 3's HTTP client) that keeps every response exactly as it came over the wire
(SSE streams included)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

# Framing headers describe the bytes as they travelled; the replayed response is rebuilt whole.
_FRAMING = {"content-length", "transfer-encoding", "content-encoding"}


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class WireLog(httpx2.BaseTransport):
    def __init__(self) -> None:
        self._inner = httpx2.HTTPTransport()
        self.exchanges: list[Exchange] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self._inner.handle_request(request)
        body = response.read()  # an event stream ends when its run stops, so this returns
        response.close()
        self.exchanges.append(Exchange(request.method, request.url.path, response.status_code,
                                       tuple(response.headers.multi_items()), body))
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _FRAMING]
        return httpx2.Response(response.status_code, headers=headers, content=body, request=request)

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=self)
