"""Cassettes: recorded model calls (and hosted-tool runs), in a file meant to be reviewed in a diff.

A cassette is YAML (or JSON when the file name ends in `.json`)::

    version: 1
    interactions:                     # model calls, in the order they were made
      - key: 3b1f0c9e5d2a7784         # hash of the canonical request (recomputed on load)
        request:                      # the semantic request: what the hash covers
          model: gpt-4o
          messages: [...]
          tools: [...]
          tool_choice: auto
          temperature: 1.0
        recorded_with: openai/gpt-4o  # the litellm model that answered (informational)
        response:
          text: "The sum is 5."
          text_deltas: ["The", " sum", " is", " 5."]      # as streamed; re-chunked if edited
          tool_calls:
            - {id: call_abc, name: add, arguments: '{"a": 2}', argument_deltas: ['', '{"a": 2}']}
          finish_reason: stop
          usage: {prompt_tokens: 11, completion_tokens: 7}
          error: {code: rate_limit_exceeded, message: "..."}   # a call that failed
    tool_runs: [...]                  # hosted-tool executions (see emulator.recording.hosted_tools)

Requests are keyed by meaning, not bytes: tool call ids inside messages (which the
server may have made up) become `call#1`, `call#2`... in order of appearance, and
inline images become their sha256. No headers, keys or `api_base` are ever stored.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from emulator.llm.types import ChatRequest, Finish, ModelError, TextDelta, ToolCallDelta

FORMAT_VERSION = 1
_WORDS = re.compile(r"\s*\S+|\s+")
_DATA_URL = re.compile(r"^data:([^;,]+);base64,(.*)$", re.DOTALL)
_HEADER = (
    "# assistants-emulator cassette: model calls recorded for replay.\n"
    "# Review changes like code. Re-record with `assistants-emulator serve --record PATH`\n"
    "# or `pytest --emulator-record`.\n"
)


class CassetteError(Exception):
    """A cassette cannot be read, or is not a valid cassette."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordedToolCall(_Strict):
    id: str | None = None
    name: str
    arguments: str = ""
    argument_deltas: list[str] | None = None

    def deltas(self) -> list[str]:
        """The recorded argument chunks, or the whole arguments when they were edited by hand."""
        if self.argument_deltas and "".join(self.argument_deltas) == self.arguments:
            return self.argument_deltas
        return [self.arguments]


class RecordedUsage(_Strict):
    prompt_tokens: int = 0
    completion_tokens: int = 0


class RecordedError(_Strict):
    code: str = "server_error"
    message: str = ""


class RecordedResponse(_Strict):
    text: str | None = None
    text_deltas: list[str] | None = None
    tool_calls: list[RecordedToolCall] = Field(default_factory=list)
    finish_reason: str = "stop"
    usage: RecordedUsage = Field(default_factory=RecordedUsage)
    error: RecordedError | None = None

    def text_chunks(self) -> list[str]:
        """The recorded text chunks, or the text cut into words when it was edited by hand."""
        if not self.text:
            return []
        if self.text_deltas and "".join(self.text_deltas) == self.text:
            return self.text_deltas
        return _WORDS.findall(self.text)

    def stream(self) -> list[TextDelta | ToolCallDelta | Finish]:
        """The stream items to play back (text first, then tool calls); raise the error after them."""
        items: list[TextDelta | ToolCallDelta | Finish] = [TextDelta(t) for t in self.text_chunks()]
        for index, call in enumerate(self.tool_calls):
            for n, chunk in enumerate(call.deltas()):
                first = n == 0
                items.append(ToolCallDelta(index=index, id=call.id if first else None,
                                           name=call.name if first else None, arguments=chunk))
        if self.error is None:
            items.append(Finish(self.finish_reason, self.usage.prompt_tokens, self.usage.completion_tokens))
        return items

    @classmethod
    def from_stream(cls, items: list[TextDelta | ToolCallDelta | Finish],
                    error: ModelError | None = None) -> "RecordedResponse":
        texts = [i.text for i in items if isinstance(i, TextDelta)]
        calls: dict[int, RecordedToolCall] = {}
        for item in items:
            if isinstance(item, ToolCallDelta):
                call = calls.setdefault(item.index, RecordedToolCall(name="", argument_deltas=[]))
                call.id = call.id or item.id
                call.name = call.name or item.name or ""
                call.arguments += item.arguments
                assert call.argument_deltas is not None  # every call here starts with a list
                call.argument_deltas.append(item.arguments)
        finish = next((i for i in items if isinstance(i, Finish)), None)
        return cls(
            text="".join(texts) or None, text_deltas=texts or None,
            tool_calls=[calls[i] for i in sorted(calls)],
            finish_reason=finish.reason if finish else "stop",
            usage=RecordedUsage(prompt_tokens=finish.prompt_tokens, completion_tokens=finish.completion_tokens)
            if finish else RecordedUsage(),
            error=RecordedError(code=error.code, message=error.message) if error else None,
        )


class Interaction(_Strict):
    key: str = ""
    request: dict[str, Any]
    recorded_with: str | None = None
    response: RecordedResponse


class ToolRun(_Strict):
    """One hosted-tool execution: what it was asked, and what it produced (with a digest to compare)."""

    key: str = ""
    tool: str
    arguments: str
    output: dict[str, Any]
    """The run step's tool call object, as the tool returned it."""
    file_hashes: dict[str, str] = Field(default_factory=dict)
    """sha256 of each stored file the output names, when it was recorded."""
    digest: str
    """Hash of the output with its call id dropped and file ids replaced by `file_hashes`."""


class Cassette(_Strict):
    version: int = FORMAT_VERSION
    interactions: list[Interaction] = Field(default_factory=list)
    tool_runs: list[ToolRun] = Field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> "Cassette":
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CassetteError(f"cannot read cassette {path}: {exc.strerror or exc}") from exc
        try:
            data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
            cassette = cls.model_validate(data or {})
        except (ValueError, yaml.YAMLError, ValidationError) as exc:
            raise CassetteError(f"cassette {path} is invalid: {exc}") from exc
        if cassette.version != FORMAT_VERSION:
            raise CassetteError(f"cassette {path} has version {cassette.version}; this emulator reads "
                                f"version {FORMAT_VERSION}: re-record it")
        # The request is the truth, even when edited by hand: keys are recomputed.
        for interaction in cassette.interactions:
            interaction.key = key_of(interaction.request)
        for tool_run in cassette.tool_runs:
            tool_run.key = tool_run_key(tool_run.tool, tool_run.arguments)
        return cassette

    def save(self, path: Path) -> None:
        """Write atomically, so a server stopped mid-session leaves a whole cassette."""
        data = self._compact()
        if path.suffix == ".json":
            text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        else:
            text = _HEADER + yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)


    def _compact(self) -> dict[str, Any]:
        """The cassette as plain data, without empty lists; stream chunks on one line each."""
        data = self.model_dump(mode="json", exclude_none=True)
        for interaction in data["interactions"]:
            response = interaction["response"]
            if "text_deltas" in response:
                response["text_deltas"] = _Inline(response["text_deltas"])
            for call in response["tool_calls"]:
                if "argument_deltas" in call:
                    call["argument_deltas"] = _Inline(call["argument_deltas"])
            if not response["tool_calls"]:
                del response["tool_calls"]
        if not data["tool_runs"]:
            del data["tool_runs"]
        return data


class _Inline(list):
    """A list written on one line (`[a, b]`) in YAML."""


def check_cassette_settings(record: Path | None, replay: Path | None) -> None:
    """Raise `CassetteError` now for a cassette that cannot be replayed or a place one cannot be recorded."""
    if replay is not None:
        Cassette.load(replay)
    if record is not None:
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CassetteError(f"cannot record to {record}: {exc.strerror or exc}") from exc
        if not os.access(record.parent, os.W_OK) or (record.exists() and not os.access(record, os.W_OK)):
            raise CassetteError(f"cannot record to {record}: not writable")


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as `|` blocks, so prompts read (and diff) as text."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_inline(dumper: yaml.SafeDumper, value: _Inline) -> yaml.Node:
    return dumper.represent_sequence("tag:yaml.org,2002:seq", list(value), flow_style=True)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(_Inline, _represent_inline)


# -- canonical requests ---------------------------------------------------------------
def canonical_request(request: ChatRequest) -> dict[str, Any]:
    """The request's meaning, as the cassette stores and hashes it (what the model would be sent)."""
    body: dict[str, Any] = {"model": request.model, "messages": _canonical_messages(request.messages)}
    if request.tools:  # without tools, tool_choice and parallel_tool_calls are not sent
        body["tools"] = copy.deepcopy(request.tools)
        body["tool_choice"] = request.tool_choice
        body["parallel_tool_calls"] = request.parallel_tool_calls
    for name in ("response_format", "temperature", "top_p", "max_tokens"):
        value = getattr(request, name)
        if value is not None:
            body[name] = copy.deepcopy(value)
    return {k: v for k, v in body.items() if v is not None}


def _canonical_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    aliases: dict[str, str] = {}

    def alias(call_id: str) -> str:
        return aliases.setdefault(call_id, f"call#{len(aliases) + 1}")

    result = []
    for message in copy.deepcopy(messages):
        for call in message.get("tool_calls") or []:
            call["id"] = alias(call["id"])
        if message.get("tool_call_id"):
            message["tool_call_id"] = alias(message["tool_call_id"])
        if isinstance(message.get("content"), list):
            for part in message["content"]:
                if part.get("type") == "image_url" and isinstance(part.get("image_url"), dict):
                    part["image_url"]["url"] = _digest_data_url(part["image_url"].get("url", ""))
        result.append(message)
    return result


def _digest_data_url(url: str) -> str:
    match = _DATA_URL.match(url)
    if not match:
        return url
    return f"data:{match.group(1)};sha256,{hashlib.sha256(match.group(2).encode()).hexdigest()}"


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def key_of(canonical: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(canonical).encode()).hexdigest()[:16]


def tool_run_key(tool_type: str, arguments: str) -> str:
    """Hash of a hosted tool and its arguments (JSON arguments compared by meaning, not spacing)."""
    try:
        normal = canonical_json(json.loads(arguments))
    except ValueError:
        normal = arguments
    return hashlib.sha256(f"{tool_type}\n{normal}".encode()).hexdigest()[:16]


# -- explaining a miss ------------------------------------------------------------------
_MAX_DIFF_LINES = 60
_MAX_LINE = 240


def _pretty_lines(canonical: dict[str, Any]) -> list[str]:
    return json.dumps(canonical, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def nearest_diff(recorded: list[Interaction], canonical: dict[str, Any]) -> tuple[int, str] | None:
    """The recorded request most like `canonical` (its index) and a unified diff from it to `canonical`."""
    if not recorded:
        return None
    wanted = _pretty_lines(canonical)
    scores = [difflib.SequenceMatcher(None, _pretty_lines(i.request), wanted, autojunk=False).ratio()
              for i in recorded]
    best = max(range(len(recorded)), key=lambda i: (scores[i], -i))
    lines = list(difflib.unified_diff(_pretty_lines(recorded[best].request), wanted,
                                      fromfile=f"recorded interaction #{best + 1}", tofile="this request",
                                      lineterm="", n=2))
    if len(lines) > _MAX_DIFF_LINES:
        lines = lines[:_MAX_DIFF_LINES] + [f"... ({len(lines) - _MAX_DIFF_LINES} more diff lines)"]
    return best, "\n".join(line if len(line) <= _MAX_LINE else line[:_MAX_LINE] + " ..." for line in lines)
