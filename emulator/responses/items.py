"""Items: a request's `input` made into stored items, and items made into the model's chat messages.

An item is a wire-format dict as the Responses API shows it (`message`, `function_call`,
`function_call_output`, `file_search_call`, `code_interpreter_call`, ...). A hosted call also
carries how the model saw it (`model_view`: its function name, arguments and output), since its
item shows the user something else (queries and results, code and outputs).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Iterable
from typing import Any

ChatMessage = dict[str, Any]
NewId = Callable[[str], str]
ReadFile = Callable[[str], tuple[str, bytes] | None]
"""A file's name and bytes by id, or None when there is no such file."""

_ROLES_WITH_INPUT_PARTS = ("user", "system", "developer")
HOSTED_CALL_TYPES = ("file_search_call", "code_interpreter_call")
_ID_PREFIX = {"function_call": "fc_", "function_call_output": "fco_", "message": "msg_"}
_FILE_TEXT_LIMIT = 200_000
"""Characters of an `input_file` given to the model (a file that is not text is named, not shown)."""


def input_items(raw: str | list[dict[str, Any]], new_id: NewId) -> list[dict[str, Any]]:
    """`input` as items, each with an id and a status: a string is one user message."""
    if isinstance(raw, str):
        return [_message({"role": "user", "content": raw}, new_id)]
    items = []
    for entry in raw:
        item = dict(entry)
        kind = item.setdefault("type", "message")
        if kind == "message":
            item = _message(item, new_id)
        else:
            item.setdefault("id", new_id(_ID_PREFIX.get(kind, "item_")))
            if kind in ("function_call", "function_call_output"):
                item.setdefault("status", "completed")
        items.append(item)
    return items


def _message(item: dict[str, Any], new_id: NewId) -> dict[str, Any]:
    role = item["role"]
    content = item.get("content", [])
    if isinstance(content, str):
        part = "input_text" if role in _ROLES_WITH_INPUT_PARTS else "output_text"
        content = [{"type": part, "text": content, **({"annotations": []} if part == "output_text" else {})}]
    else:
        content = [{"detail": "auto", **p} if p.get("type") == "input_image" else p for p in content]
    return {"id": item.get("id") or new_id("msg_"), "type": "message", "status": item.get("status", "completed"),
            "role": role, "content": content}


def chat_messages(entries: Iterable[tuple[dict[str, Any], dict[str, Any] | None]], read_file: ReadFile) -> list[ChatMessage]:
    """The items, with their model views, as chat messages: consecutive calls share one assistant message."""
    messages: list[ChatMessage] = []
    for item, view in entries:
        kind = item.get("type")
        if kind == "message":
            chat = _chat_message(item, read_file)
            if chat is not None:
                messages.append(chat)
        elif kind == "function_call":
            _add_call(messages, item["call_id"], item["name"], item.get("arguments", ""))
        elif kind == "function_call_output":
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": _output_text(item["output"])})
        elif kind in HOSTED_CALL_TYPES and view is not None:
            _add_call(messages, item["id"], view["name"], view["arguments"])
            messages.append({"role": "tool", "tool_call_id": item["id"], "content": view["output"]})
    return messages


def _add_call(messages: list[ChatMessage], call_id: str, name: str, arguments: str) -> None:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant" and last.get("tool_calls") and last.get("content") is None:
        last["tool_calls"].append(call)
    else:
        messages.append({"role": "assistant", "content": None, "tool_calls": [call]})


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    return "\n".join(p.get("text", "") for p in output if isinstance(p, dict) and p.get("type") == "input_text")


def _chat_message(item: dict[str, Any], read_file: ReadFile) -> ChatMessage | None:
    role = "system" if item["role"] == "developer" else item["role"]
    parts: list[dict[str, Any]] = []
    for part in item.get("content") or []:
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text", "summary_text", "refusal"):
            parts.append({"type": "text", "text": part.get("text", part.get("refusal", ""))})
        elif kind == "input_image":
            url = part.get("image_url") or _image_data_url(part.get("file_id"), read_file)
            if url:
                parts.append({"type": "image_url", "image_url": {"url": url}})
        elif kind == "input_file":
            parts.append({"type": "text", "text": _file_text(part, read_file)})
    if not parts:
        return None
    if all(p["type"] == "text" for p in parts):
        return {"role": role, "content": "\n".join(p["text"] for p in parts)}
    return {"role": role, "content": parts}


def _image_data_url(file_id: str | None, read_file: ReadFile) -> str | None:
    found = read_file(file_id) if file_id else None
    if found is None:
        return None
    name, data = found
    mime = "image/jpeg" if name.lower().endswith((".jpg", ".jpeg")) else "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def _file_text(part: dict[str, Any], read_file: ReadFile) -> str:
    """An `input_file` as the model reads it: its name, then its text when it is text."""
    name, data = part.get("filename") or "file", b""
    if part.get("file_id"):
        found = read_file(part["file_id"])
        if found is not None:
            name, data = found
    elif part.get("file_data"):
        encoded = part["file_data"].split(",", 1)[-1]
        try:
            data = base64.b64decode(encoded)
        except (binascii.Error, ValueError):
            data = b""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"[file {name}: not text, not shown]"
    return f"[file {name}]\n{text[:_FILE_TEXT_LIMIT]}"


# -- the answer's annotations on the wire ----------------------------------------------------------
_MARKER = re.compile(r"【[^】\n]{0,200}】")
"""A source marker the model writes after what it cites (see emulator.tools.file_search.citations)."""


def strip_markers(text: str) -> str:
    """The text without source markers: the Responses API gives citations as indices instead."""
    return _MARKER.sub("", text)


class MarkerFilter:
    """Streamed text with the source markers left out, as `strip_markers` leaves the whole text: a
    delta that may begin a marker is held back until the marker closes (or proves not to be one)."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, delta: str) -> str:
        text = self._held + delta
        start = text.rfind("【")
        if start != -1 and "】" not in text[start:] and len(text) - start <= 202 and "\n" not in text[start:]:
            self._held, text = text[start:], text[:start]
        else:
            self._held = ""
        return strip_markers(text)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return held


def wire_annotations(text: str, annotations: list[dict[str, Any]], filename: Callable[[str], str],
                     container_id: str | None) -> list[dict[str, Any]]:
    """The loop's annotations (Assistants-shaped, on the marked text) as Responses annotations on the
    text without markers: `file_citation` at the index where the marker was, `container_file_citation`
    over a `sandbox:/mnt/data/...` link."""
    removed = [(m.start(), m.end()) for m in _MARKER.finditer(text)]

    def shift(index: int) -> int:
        return index - sum(min(end, index) - start for start, end in removed if start < index)

    found = []
    for note in annotations:
        if note["type"] == "file_citation":
            file_id = note["file_citation"]["file_id"]
            found.append({"type": "file_citation", "file_id": file_id, "filename": filename(file_id),
                          "index": shift(note["start_index"])})
        elif note["type"] == "file_path" and container_id is not None:
            file_id = note["file_path"]["file_id"]
            found.append({"type": "container_file_citation", "container_id": container_id, "file_id": file_id,
                          "filename": note["text"].rsplit("/", 1)[-1], "start_index": shift(note["start_index"]),
                          "end_index": shift(note["end_index"])})
    return found
