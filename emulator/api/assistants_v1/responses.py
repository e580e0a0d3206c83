"""v2 responses in v1 shape: JSON objects and lists are rewritten whole, event streams event by event."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Send

from emulator.services import Services
from emulator.services.v1_files import tool_resources

log = logging.getLogger(__name__)


class ResponseRewriter:
    """A `send` that buffers a JSON response (or splits an event stream) and rewrites each object into v1
    shape. Errors (status 400 and up) and anything else pass through as they are."""

    def __init__(self, send: Send, services: Services) -> None:
        self._send, self._services = send, services
        self._start: Message | None = None
        self._mode = "pass"
        self._chunks: list[bytes] = []
        self._pending = b""

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            content_type = Headers(raw=message.get("headers") or []).get("content-type", "")
            if content_type.startswith("application/json") and message["status"] < 400:
                self._mode, self._start = "json", message
                return
            if content_type.startswith("text/event-stream"):
                self._mode = "sse"
            return await self._send(message)
        if message["type"] != "http.response.body":
            return await self._send(message)
        if self._mode == "json":
            return await self._json_body(message)
        if self._mode == "sse":
            return await self._sse_body(message)
        await self._send(message)

    async def _json_body(self, message: Message) -> None:
        assert self._start is not None
        self._chunks.append(message.get("body", b""))
        if message.get("more_body"):
            return
        body = self._rewrite_json(b"".join(self._chunks))
        headers = MutableHeaders(raw=list(self._start.get("headers") or []))
        del headers["content-length"]
        headers.append("content-length", str(len(body)))
        await self._send({**self._start, "headers": headers.raw})
        await self._send({"type": "http.response.body", "body": body})

    async def _sse_body(self, message: Message) -> None:
        data = self._pending + message.get("body", b"")
        events = data.split(b"\n\n")
        self._pending = events.pop() if message.get("more_body") else b""
        out = b"".join(self._rewrite_event(e) + b"\n\n" for e in events if e) if events else b""
        if out or not message.get("more_body"):
            await self._send({**message, "body": out})

    def _rewrite_json(self, raw: bytes) -> bytes:
        try:
            obj = json.loads(raw)
        except ValueError:
            return raw
        return json.dumps(to_v1(self._services, obj)).encode()

    def _rewrite_event(self, event: bytes) -> bytes:
        lines = event.split(b"\n")
        for i, line in enumerate(lines):
            if line.startswith(b"data: ") and line[6:7] == b"{":
                try:
                    lines[i] = b"data: " + json.dumps(to_v1(self._services, json.loads(line[6:]))).encode()
                except ValueError:
                    pass
        return b"\n".join(lines)


def to_v1(services: Services, obj: Any) -> Any:
    """A v2 API object (or list of them) in v1 shape; anything else unchanged."""
    if not isinstance(obj, dict):
        return obj
    kind = obj.get("object")
    if kind == "list" and isinstance(obj.get("data"), list):
        return {**obj, "data": [to_v1(services, item) for item in obj["data"]]}
    try:
        if kind == "assistant":
            return _assistant_v1(services, obj)
        if kind == "thread":
            return {k: v for k, v in obj.items() if k != "tool_resources"}
        if kind in ("thread.message", "thread.message.delta"):
            return _message_v1(obj)
        if kind == "thread.run":
            return _run_v1(services, obj)
        if kind in ("thread.run.step", "thread.run.step.delta"):
            return _step_v1(obj)
    except Exception:  # never turn a good answer into a 500 over its v1 dress
        log.exception("could not put a %s into v1 shape", kind)
    return obj


def _tools_v1(tools: Any) -> Any:
    if not isinstance(tools, list):
        return tools
    return [{"type": "retrieval"} if isinstance(t, dict) and t.get("type") == "file_search" else t for t in tools]


def _assistant_v1(services: Services, obj: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in obj.items() if k != "tool_resources"}
    out["tools"] = _tools_v1(obj.get("tools"))
    out["file_ids"] = services.v1_files.file_ids(obj.get("tool_resources"))
    return out


def _message_v1(obj: dict[str, Any]) -> dict[str, Any]:
    if obj.get("object") == "thread.message.delta":
        return obj
    out = {k: v for k, v in obj.items() if k != "attachments"}
    out["file_ids"] = list(dict.fromkeys(a.get("file_id") for a in obj.get("attachments") or []))
    return out


def _run_v1(services: Services, obj: dict[str, Any]) -> dict[str, Any]:
    out = {**obj, "tools": _tools_v1(obj.get("tools"))}
    assistant = services.assistants.find(obj.get("assistant_id") or "")
    out["file_ids"] = services.v1_files.file_ids(tool_resources(assistant) if assistant else {})
    return out


def _step_v1(obj: dict[str, Any]) -> dict[str, Any]:
    details = obj.get("step_details") if obj.get("object") == "thread.run.step" else (obj.get("delta") or {}).get(
        "step_details")
    if isinstance(details, dict) and isinstance(details.get("tool_calls"), list):
        details["tool_calls"] = [_retrieval_call(c) if isinstance(c, dict) and c.get("type") == "file_search" else c
                                 for c in details["tool_calls"]]
    return obj


def _retrieval_call(call: dict[str, Any]) -> dict[str, Any]:
    """A file_search tool call as v1's retrieval call (which shows nothing of the search)."""
    fields: dict[str, Any] = {"index": call.get("index"), "id": call.get("id"), "type": "retrieval", "retrieval": {}}
    return {k: v for k, v in fields.items() if v is not None or k == "id"}
