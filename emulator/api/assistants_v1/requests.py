"""v1 request bodies in v2 terms: `retrieval` is `file_search`, and `file_ids` become `tool_resources`
(an assistant's) or `attachments` (a message's)."""

from __future__ import annotations

import json
import re
from typing import Any

from emulator.api.json_body import parse_json
from emulator.errors import InvalidRequest
from emulator.services import Services

_PREFIX = re.compile(r"^/(?:v1|openai)(/.*)$")
_ASSISTANT = re.compile(r"^/assistants(?:/(?P<aid>[^/]+))?$")
_THREADS = re.compile(r"^/threads$")
_MESSAGES = re.compile(r"^/threads/[^/]+/messages$")
_RUNS = re.compile(r"^/threads/(?:[^/]+/)?runs$")  # create run, create thread and run


def rewrite_request(services: Services, path: str, raw: bytes) -> bytes:
    """The body of a POST to `path` (under /v1 or /openai) in v2 terms; a body that is not a JSON object
    goes on unchanged, for the route to refuse."""
    try:
        body = parse_json(raw)
    except InvalidRequest:
        return raw  # the route answers with OpenAI's JSON error
    if not isinstance(body, dict):
        return raw
    match = _PREFIX.match(path)
    path = match.group(1) if match else path
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


def _tools_v2(tools: Any) -> Any:
    if not isinstance(tools, list):
        return tools
    return [{"type": "file_search"} if isinstance(t, dict) and t.get("type") == "retrieval" else t for t in tools]


def _file_ids(body: dict[str, Any], param: str) -> list[str] | None:
    if "file_ids" not in body:
        return None
    file_ids = body.pop("file_ids")
    if file_ids is None:
        return []
    if not isinstance(file_ids, list) or not all(isinstance(f, str) for f in file_ids):
        raise InvalidRequest(f"Invalid type for '{param}': expected an array of strings.", param=param,
                             code="invalid_type")
    return list(dict.fromkeys(file_ids))


def _assistant_request(services: Services, body: dict[str, Any], assistant_id: str | None) -> dict[str, Any]:
    file_ids = _file_ids(body, "file_ids")
    if "tools" in body:
        body["tools"] = _tools_v2(body["tools"])
    if file_ids is None:
        return body
    _check_length(file_ids, "file_ids", 20)
    current = services.assistants.get(assistant_id) if assistant_id else None
    tools = body.get("tools") if "tools" in body else [t.model_dump(by_alias=True) for t in current.tools] if current else []
    types = {t.get("type") for t in tools or [] if isinstance(t, dict)}
    for file_id in file_ids:
        if services.files.find(file_id) is None:
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


def _message_request(body: dict[str, Any], param: str = "file_ids") -> None:
    if file_ids := _file_ids(body, param):
        _check_length(file_ids, param, 10)
        body["attachments"] = [{"file_id": f, "tools": [{"type": "file_search"}, {"type": "code_interpreter"}]}
                               for f in file_ids]


def _message_list(messages: Any, param: str) -> None:
    if isinstance(messages, list):
        for i, message in enumerate(messages):
            if isinstance(message, dict):
                _message_request(message, f"{param}[{i}].file_ids")


def _thread_request(body: dict[str, Any]) -> None:
    _message_list(body.get("messages"), "messages")
