"""Assistants API v1 on top of the v2 machinery, for requests marked `OpenAI-Beta: assistants=v1`.

A pure ASGI middleware: v1 request bodies are rewritten into v2 before the normal routes run
(`retrieval` -> `file_search` over an automatic vector store, `file_ids` -> `tool_resources` or
message `attachments`), and JSON responses (objects, lists, and server-sent events) are rewritten
back into v1 shape. The v1-only `/assistants/{id}/files` and `/threads/{t}/messages/{m}/files`
endpoints are answered here. Requests without the header never come near this code.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.requests import Request

from emulator.api.http import ListParams
from emulator.api.json_body import parse_json
from emulator.api.wire import send_error
from emulator.errors import APIError, InvalidRequest, MethodNotAllowed, NotFound

log = logging.getLogger(__name__)

_PREFIX = re.compile(r"^/(?:v1|openai)(/.*)$")
_ASSISTANT = re.compile(r"^/assistants(?:/(?P<aid>[^/]+))?$")
_ASSISTANT_FILES = re.compile(r"^/assistants/(?P<aid>[^/]+)/files(?:/(?P<fid>[^/]+))?$")
_MESSAGE_FILES = re.compile(r"^/threads/(?P<tid>[^/]+)/messages/(?P<mid>[^/]+)/files(?:/(?P<fid>[^/]+))?$")
_THREADS = re.compile(r"^/threads$")
_MESSAGES = re.compile(r"^/threads/[^/]+/messages$")
_RUNS = re.compile(r"^/threads/(?:[^/]+/)?runs$")  # create run, create thread and run


def is_v1(scope) -> bool:
    for key, value in scope.get("headers") or []:
        if key.lower() == b"openai-beta" and b"assistants=v1" in value.lower().replace(b" ", b""):
            return True
    return False


class V1CompatMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not is_v1(scope):
            return await self.app(scope, receive, send)
        match = _PREFIX.match(scope["path"])
        path, method = (match.group(1) if match else scope["path"]), scope["method"]
        try:
            services = scope["app"].state.services
            if (m := _ASSISTANT_FILES.match(path)) or (m := _MESSAGE_FILES.match(path)):
                query = ListParams.parse(Request(scope))
                body = await _read_body(receive) if method == "POST" else b""
                status, obj = _files_endpoint(services, method, {**m.groupdict(), "path": scope["path"]}, body, query)
                return await _send_json(send, status, obj)
            if method == "POST":
                body = await _read_body(receive)
                body = _rewrite_request(services, path, body)
                receive = _replay(body, receive)
        except APIError as exc:
            return await send_error(send, exc)
        await self.app(scope, receive, _ResponseRewriter(send, services))


# -- requests ---------------------------------------------------------------------------------------
async def _read_body(receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, original):
    """The rewritten body once, then the client's own messages (a streamed response waits on its disconnect)."""
    sent = False

    async def receive():
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


def _rewrite_request(services, path: str, raw: bytes) -> bytes:
    try:
        body = parse_json(raw)
    except InvalidRequest:
        return raw  # the route answers with OpenAI's JSON error
    if not isinstance(body, dict):
        return raw
    if m := _ASSISTANT.match(path):
        body = _assistant_request(services, body, m.group("aid"))
    elif _THREADS.match(path):
        _thread_request(body)
    elif _MESSAGES.match(path):
        _message_request(body)
    elif _RUNS.match(path):
        body["tools"] = _tools_v2(body.get("tools"))
        if body["tools"] is None:
            del body["tools"]
        _message_list(body.get("additional_messages"), "additional_messages")
        if isinstance(body.get("thread"), dict):
            _thread_request(body["thread"])
    return json.dumps(body).encode()


def _tools_v2(tools):
    if not isinstance(tools, list):
        return tools
    return [{"type": "file_search"} if isinstance(t, dict) and t.get("type") == "retrieval" else t for t in tools]


def _file_ids(body: dict, param: str) -> list[str] | None:
    if "file_ids" not in body:
        return None
    file_ids = body.pop("file_ids")
    if file_ids is None:
        return []
    if not isinstance(file_ids, list) or not all(isinstance(f, str) for f in file_ids):
        raise InvalidRequest(f"Invalid type for '{param}': expected an array of strings.", param=param,
                             code="invalid_type")
    return list(dict.fromkeys(file_ids))


def _assistant_request(services, body: dict, assistant_id: str | None) -> dict:
    file_ids = _file_ids(body, "file_ids")
    if "tools" in body:
        body["tools"] = _tools_v2(body["tools"])
    if file_ids is None:
        return body
    _check_length(file_ids, "file_ids", 20)
    current = services.assistants.get(assistant_id) if assistant_id else None
    tools = body.get("tools") if "tools" in body else [t.model_dump() for t in current.tools] if current else []
    types = {t.get("type") for t in tools or [] if isinstance(t, dict)}
    for file_id in file_ids:
        if _stores(services).files.get(file_id) is None:
            raise InvalidRequest(f"Invalid 'file_ids': file '{file_id}' not found.", param="file_ids")
    resources: dict[str, Any] = {}
    if "code_interpreter" in types or "file_search" not in types:
        resources["code_interpreter"] = {"file_ids": file_ids}
    if "file_search" in types:
        if not file_ids:
            resources["file_search"] = {"vector_store_ids": []}
        elif assistant_id is None:
            resources["file_search"] = {"vector_stores": [{"file_ids": file_ids}]}
        else:
            store = services.vector_stores.create({"file_ids": file_ids})
            resources["file_search"] = {"vector_store_ids": [store.id]}
    body["tool_resources"] = resources
    return body


def _check_length(file_ids: list[str], param: str, most: int) -> None:
    if len(file_ids) > most:
        raise InvalidRequest(f"Invalid '{param}': array too long. Expected an array with maximum length {most}, "
                             f"but got an array with length {len(file_ids)} instead.", param=param,
                             code="array_above_max_length")


def _message_request(body: dict, param: str = "file_ids") -> None:
    if file_ids := _file_ids(body, param):
        _check_length(file_ids, param, 10)
        body["attachments"] = [{"file_id": f, "tools": [{"type": "file_search"}, {"type": "code_interpreter"}]}
                               for f in file_ids]


def _message_list(messages, param: str) -> None:
    if isinstance(messages, list):
        for i, message in enumerate(messages):
            if isinstance(message, dict):
                _message_request(message, f"{param}[{i}].file_ids")


def _thread_request(body: dict) -> None:
    _message_list(body.get("messages"), "messages")


# -- responses --------------------------------------------------------------------------------------
class _ResponseRewriter:
    """Buffers JSON responses (or splits event streams) and rewrites each object into v1 shape."""

    def __init__(self, send, services) -> None:
        self._send, self._services = send, services
        self._start: dict | None = None
        self._mode = "pass"
        self._chunks: list[bytes] = []
        self._pending = b""

    async def __call__(self, message) -> None:
        if message["type"] == "http.response.start":
            headers = {k.lower(): v for k, v in message.get("headers") or []}
            content_type = headers.get(b"content-type", b"")
            if content_type.startswith(b"application/json") and message["status"] < 400:
                self._mode, self._start = "json", message
                return
            if content_type.startswith(b"text/event-stream"):
                self._mode = "sse"
            return await self._send(message)
        if message["type"] != "http.response.body":
            return await self._send(message)
        if self._mode == "json":
            self._chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = self._rewrite_json(b"".join(self._chunks))
            headers = [(k, v) for k, v in self._start.get("headers") or [] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(body)).encode()))
            await self._send({**self._start, "headers": headers})
            return await self._send({"type": "http.response.body", "body": body})
        if self._mode == "sse":
            data = self._pending + message.get("body", b"")
            events = data.split(b"\n\n")
            self._pending = events.pop() if message.get("more_body") else b""
            out = b"".join(self._rewrite_event(e) + b"\n\n" for e in events if e) if events else b""
            if out or not message.get("more_body"):
                return await self._send({**message, "body": out})
            return
        await self._send(message)

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


def to_v1(services, obj):
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


def _tools_v1(tools):
    if not isinstance(tools, list):
        return tools
    return [{"type": "retrieval"} if isinstance(t, dict) and t.get("type") == "file_search" else t for t in tools]


def assistant_file_ids(services, resources: dict | None) -> list[str]:
    resources = resources or {}
    file_ids = list((resources.get("code_interpreter") or {}).get("file_ids") or [])
    vs_files = _stores(services).vector_store_files
    for store_id in (resources.get("file_search") or {}).get("vector_store_ids") or []:
        file_ids += [f.id for f in sorted(vs_files.find(vector_store_id=store_id), key=lambda f: f.created_at)]
    return list(dict.fromkeys(file_ids))


def _assistant_v1(services, obj: dict) -> dict:
    out = {k: v for k, v in obj.items() if k != "tool_resources"}
    out["tools"] = _tools_v1(obj.get("tools"))
    out["file_ids"] = assistant_file_ids(services, obj.get("tool_resources"))
    return out


def _message_v1(obj: dict) -> dict:
    if obj.get("object") == "thread.message.delta":
        return obj
    out = {k: v for k, v in obj.items() if k != "attachments"}
    out["file_ids"] = list(dict.fromkeys(a.get("file_id") for a in obj.get("attachments") or []))
    return out


def _run_v1(services, obj: dict) -> dict:
    out = {**obj, "tools": _tools_v1(obj.get("tools"))}
    assistant = services.assistants._store.get(obj.get("assistant_id") or "")
    resources = assistant.tool_resources.model_dump(exclude_none=True) if assistant and assistant.tool_resources else {}
    out["file_ids"] = assistant_file_ids(services, resources)
    return out


def _step_v1(obj: dict) -> dict:
    details = obj.get("step_details") if obj.get("object") == "thread.run.step" else (obj.get("delta") or {}).get(
        "step_details")
    if isinstance(details, dict) and isinstance(details.get("tool_calls"), list):
        details["tool_calls"] = [
            {k: v for k, v in {"index": c.get("index"), "id": c.get("id"), "type": "retrieval",
                               "retrieval": {}}.items() if v is not None or k == "id"}
            if isinstance(c, dict) and c.get("type") == "file_search" else c for c in details["tool_calls"]]
    return obj


# -- /assistants/{id}/files and /threads/{t}/messages/{m}/files -------------------------------------
def _files_endpoint(services, method: str, ids: dict, raw: bytes, query: ListParams) -> tuple[int, dict]:
    if ids.get("aid"):
        return _assistant_files(services, method, ids, raw, query)
    if method != "GET":
        raise _bad_method(method, ids)
    message = services.messages.get(ids["tid"], ids["mid"])
    files = [{"id": f, "object": "thread.message.file", "created_at": message.created_at, "message_id": message.id}
             for f in dict.fromkeys(a.file_id for a in message.attachments or [])]
    return 200, (_one(files, ids["fid"], "message file") if ids.get("fid") else _listed(files, query))


def _bad_method(method: str, ids: dict) -> MethodNotAllowed:
    return MethodNotAllowed(f"Invalid method for URL ({method} {ids['path']}).")


def _stores(services):
    return services.assistants._rt.stores


def _one(files: list[dict], file_id: str, kind: str) -> dict:
    for f in files:
        if f["id"] == file_id:
            return f
    raise NotFound.object(kind, file_id)


def _listed(files: list[dict], params: ListParams) -> dict:
    """One page of a list made here, paged as the routes page theirs."""
    query, order, limit = {"after": params.after, "before": params.before}, params.order, params.limit
    files = files if order == "asc" else files[::-1]
    ids = [f["id"] for f in files]
    for param in ("after", "before"):
        if query.get(param) and query[param] not in ids:
            raise InvalidRequest(f"No object found with id '{query[param]}' to list {param}.", param=param)
    start = ids.index(query["after"]) + 1 if query.get("after") else 0
    end = ids.index(query["before"]) if query.get("before") else len(files)
    files = files[start:max(start, end)]
    page = files[:limit]
    return {"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None, "has_more": len(files) > limit}


def _assistant_files(services, method: str, ids: dict, raw: bytes, query: ListParams) -> tuple[int, dict]:
    assistant_id, file_id = ids["aid"], ids.get("fid")
    assistant = services.assistants.get(assistant_id)
    rt = services.assistants._rt
    resources = assistant.tool_resources.model_dump(exclude_none=True) if assistant.tool_resources else {}

    def listing() -> list[dict]:
        out = []
        for f in assistant_file_ids(services, resources):
            file = rt.stores.files.get(f)
            out.append({"id": f, "object": "assistant.file", "created_at": file.created_at if file else
                        assistant.created_at, "assistant_id": assistant_id})
        return out

    if method == "GET":
        return 200, (_one(listing(), file_id, "assistant file") if file_id else _listed(listing(), query))
    if method == "POST" and not file_id:
        body = parse_json(raw)
        new_id = body.get("file_id") if isinstance(body, dict) else None
        if not isinstance(new_id, str) or not new_id:
            raise InvalidRequest("Missing required parameter: 'file_id'.", param="file_id", code="missing_required_parameter")
        if rt.stores.files.get(new_id) is None:
            raise InvalidRequest(f"Invalid 'file_id': file '{new_id}' not found.", param="file_id")
        existing = assistant_file_ids(services, resources)
        if new_id not in existing:
            if len(existing) >= 20:
                raise InvalidRequest("An assistant can have at most 20 files attached.", param="file_id")
            types = {t.type for t in assistant.tools}
            if "file_search" in types:
                store_ids = (resources.get("file_search") or {}).get("vector_store_ids") or []
                if store_ids:
                    services.vector_stores.files.add_files(services.vector_stores.get(store_ids[0]),
                                                           [{"file_id": new_id}])
                else:
                    store = services.vector_stores.create({"file_ids": [new_id]})
                    resources["file_search"] = {"vector_store_ids": [store.id]}
            if "code_interpreter" in types or "file_search" not in types:
                ci = resources.setdefault("code_interpreter", {})
                ci["file_ids"] = [*(ci.get("file_ids") or []), new_id]
            services.assistants.update(assistant_id, {"tool_resources": resources})
        return 200, _one(listing(), new_id, "assistant file") if new_id in existing else {
            "id": new_id, "object": "assistant.file", "created_at": rt.clock.now(), "assistant_id": assistant_id}
    if method == "DELETE" and file_id:
        _one(listing(), file_id, "assistant file")
        ci = resources.get("code_interpreter") or {}
        if file_id in (ci.get("file_ids") or []):
            ci["file_ids"] = [f for f in ci["file_ids"] if f != file_id]
        for store_id in (resources.get("file_search") or {}).get("vector_store_ids") or []:
            if rt.stores.vector_store_files.get_in(store_id, file_id) is not None:
                services.vector_stores.files.delete(store_id, file_id)
        services.assistants.update(assistant_id, {"tool_resources": resources})
        return 200, {"id": file_id, "object": "assistant.file.deleted", "deleted": True}
    raise _bad_method(method, ids)


async def _send_json(send, status: int, obj: dict) -> None:
    body = json.dumps(obj).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
