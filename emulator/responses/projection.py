"""The Responses face: what the agent loop does, as a response's output items and `response.*` events.

This is where the order of a response's stream lives (`response.created` and `.in_progress` come
from the engine before the loop starts, the terminal event after it ends). For each output item:
- text: `response.output_item.added` (a `message`), `response.content_part.added`, a
  `response.output_text.delta` per piece of text, then `response.output_text.annotation.added` per
  citation, `response.output_text.done`, `response.content_part.done`, `response.output_item.done`;
- a function call: `output_item.added`, `response.function_call_arguments.delta` per piece as the
  model writes it, `.done` and `output_item.done` when the turn ends;
- a hosted call: `output_item.added`, then `response.file_search_call.in_progress`, `.searching`,
  `.completed` (or `response.code_interpreter_call.in_progress`, `_code.delta`, `_code.done`,
  `.interpreting`, `.completed`), and `output_item.done`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from emulator.agent import Face
from emulator.agent.events import (
    AgentEvent,
    HostedCallDone,
    HostedCallStarted,
    LoopFinished,
    TextDelta,
    TextDone,
    ToolCallDelta,
    ToolRoundEnded,
    TurnEnded,
    Usage,
)
from emulator.responses.items import MarkerFilter, ReadFile, chat_messages, strip_markers, wire_annotations
from emulator.responses.prompt import fit

Publish = Callable[[str, dict[str, Any]], None]
"""Send one stream event: its type and its fields (the engine adds the sequence number)."""


@dataclass
class Outcome:
    """How the loop ended, for the engine to write: `completed`, or `incomplete` with a reason."""

    status: str = "completed"
    incomplete_reason: str | None = None


@dataclass
class FaceContext:
    """What a response's face is given: the conversation so far and how to show things."""

    instructions: str | None
    context: list[tuple[dict[str, Any], dict[str, Any] | None]]
    """Earlier items (previous responses, the conversation) and this response's input, with model views."""
    read_file: ReadFile
    filename: Callable[[str], str]
    container_id: str | None
    truncation: str = "disabled"
    new_id: Callable[[str], str] = field(default=lambda prefix: prefix)
    context_window: int | None = None
    """Tokens the prompt may take (the server's `context_window_tokens`)."""


class ResponseProjection(Face):
    def __init__(self, given: FaceContext, publish: Publish, shown: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._given = given
        self._publish = publish
        self._shown = shown
        """An item as the stream shows it (without what `include` did not ask for)."""
        self.output: list[dict[str, Any]] = []
        self.model_views: dict[str, dict[str, Any]] = {}
        self.usage = Usage()
        self.outcome = Outcome()
        self._text: MarkerFilter | None = None
        self._message_index: int | None = None
        self._calls: dict[str, int] = {}
        """A call id of the loop to its output item's index."""

    # -- what the loop asks ------------------------------------------------------------------------
    def prompt(self, system_context: list[str], budget: int | None) -> list[dict[str, Any]]:
        given = self._given
        instructions = "\n\n".join([given.instructions, *system_context] if given.instructions else system_context)
        system = [{"role": "system", "content": instructions}] if instructions else []
        entries = [*given.context, *((item, self.model_views.get(item["id"])) for item in self.output)]
        limits = [n for n in (budget, given.context_window) if n is not None]
        return fit(system, chat_messages(entries, given.read_file), min(limits) if limits else None,
                   given.truncation == "auto")

    # -- what the loop tells -----------------------------------------------------------------------
    def emit(self, event: AgentEvent) -> None:
        match event:
            case TextDelta(text=text):
                self._on_text(text)
            case TextDone():
                self._close_message(event)
            case ToolCallDelta(hosted=False):
                self._on_function_call(event)
            case TurnEnded():
                self.usage = self.usage + event.usage
                self._close_function_calls(event)
            case HostedCallStarted():
                self._on_hosted_started(event)
            case HostedCallDone():
                self._on_hosted_done(event)
            case ToolRoundEnded():
                pass  # function calls left for the client end the response `completed`, their items in output
            case LoopFinished(status=status):
                self.outcome = Outcome(status, None if status == "completed" else "max_output_tokens")

    # -- text --------------------------------------------------------------------------------------
    def _on_text(self, text: str) -> None:
        if self._text is None:
            self._text = MarkerFilter()
            item = {"id": self._given.new_id("msg_"), "type": "message", "status": "in_progress", "role": "assistant",
                    "content": []}
            self._message_index = self._add(item)
            self._publish("response.content_part.added", {**self._at(self._message_index), "content_index": 0,
                          "part": {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}})
        delta = self._text.feed(text)
        if delta:
            self._publish("response.output_text.delta", {**self._at(self._message_index), "content_index": 0,
                                                         "delta": delta, "logprobs": []})

    def _close_message(self, done: TextDone) -> None:
        if self._text is None:  # an empty answer: still a message
            self._on_text("")
        assert self._text is not None and self._message_index is not None
        if rest := strip_markers(self._text.flush()):
            self._publish("response.output_text.delta", {**self._at(self._message_index), "content_index": 0,
                                                         "delta": rest, "logprobs": []})
        given, index = self._given, self._message_index
        answer = done.answer
        text = strip_markers(answer.text)
        annotations = wire_annotations(answer.text, answer.annotations, given.filename, given.container_id)
        for number, annotation in enumerate(annotations):
            self._publish("response.output_text.annotation.added", {**self._at(index), "content_index": 0,
                          "annotation_index": number, "annotation": annotation})
        part = {"type": "output_text", "annotations": annotations, "logprobs": [], "text": text}
        self._publish("response.output_text.done", {**self._at(index), "content_index": 0, "text": text,
                                                    "logprobs": []})
        self._publish("response.content_part.done", {**self._at(index), "content_index": 0, "part": part})
        item = {**self.output[index], "status": "incomplete" if done.truncated else "completed", "content": [part]}
        self._done(index, item)
        self._text = self._message_index = None

    # -- function calls ----------------------------------------------------------------------------
    def _on_function_call(self, delta: ToolCallDelta) -> None:
        if delta.started:
            item = {"id": self._given.new_id("fc_"), "type": "function_call", "status": "in_progress",
                    "arguments": "", "call_id": delta.call_id, "name": delta.name}
            self._calls[delta.call_id] = self._add(item)
        index = self._calls[delta.call_id]
        self.output[index]["arguments"] += delta.arguments
        if delta.arguments:
            self._publish("response.function_call_arguments.delta", {**self._at(index), "delta": delta.arguments})

    def _close_function_calls(self, turn: TurnEnded) -> None:
        for call in turn.calls:
            if call.hosted or call.call_id not in self._calls:
                continue
            index = self._calls[call.call_id]
            item = {**self.output[index], "status": "completed", "arguments": call.arguments}
            self._publish("response.function_call_arguments.done", {**self._at(index), "name": call.name,
                                                                    "arguments": call.arguments})
            self._done(index, item)

    # -- hosted calls ------------------------------------------------------------------------------
    def _on_hosted_started(self, started: HostedCallStarted) -> None:
        kind = f"{started.call.name}_call"
        if kind == "code_interpreter_call":
            item = {"id": self._given.new_id("ci_"), "type": kind, "status": "in_progress", "code": "",
                    "container_id": self._given.container_id or "", "outputs": None}
        else:
            item = {"id": self._given.new_id("fs_"), "type": kind, "status": "in_progress",
                    "queries": [], "results": None}
        index = self._calls[started.call.call_id] = self._add(item)
        self._publish(f"response.{kind}.in_progress", self._at(index))
        if kind == "code_interpreter_call":
            code = (started.shown or {}).get("code_interpreter", {}).get("input", "")
            self.output[index]["code"] = code
            self._publish("response.code_interpreter_call_code.delta", {**self._at(index), "delta": code})
            self._publish("response.code_interpreter_call_code.done", {**self._at(index), "code": code})
            self._publish("response.code_interpreter_call.interpreting", self._at(index))
        else:
            self._publish("response.file_search_call.searching", self._at(index))

    def _on_hosted_done(self, done: HostedCallDone) -> None:
        index = self._calls[done.call.call_id]
        item = dict(self.output[index])
        kind = item["type"]
        if kind == "code_interpreter_call":
            item["outputs"] = _code_outputs(done.result, self._given.container_id)
        else:
            item["queries"] = done.details.get("queries", [])
            item["results"] = done.details.get("results", [])
        item["status"] = "completed"
        arguments, output = done.model_view
        self.model_views[item["id"]] = {"name": done.call.name, "arguments": arguments, "output": output}
        self._publish(f"response.{kind}.completed", self._at(index))
        self._done(index, item)

    # -- shared ------------------------------------------------------------------------------------
    def _add(self, item: dict[str, Any]) -> int:
        self.output.append(item)
        index = len(self.output) - 1
        self._publish("response.output_item.added", {"output_index": index, "item": self._shown(item)})
        return index

    def _done(self, index: int, item: dict[str, Any]) -> None:
        self.output[index] = item
        self._publish("response.output_item.done", {"output_index": index, "item": self._shown(item)})

    def _at(self, index: int | None) -> dict[str, Any]:
        assert index is not None
        return {"item_id": self.output[index]["id"], "output_index": index}


def _code_outputs(result: dict[str, Any], container_id: str | None) -> list[dict[str, Any]]:
    """A code_interpreter call's outputs: its logs, and each image as a link to its file's content."""
    outputs = []
    for output in result.get("code_interpreter", {}).get("outputs", []):
        if output["type"] == "logs":
            outputs.append({"type": "logs", "logs": output["logs"]})
        elif output["type"] == "image":
            file_id = output["image"]["file_id"]
            url = (f"/v1/containers/{container_id}/files/{file_id}/content" if container_id and file_id.startswith("cfile_")
                   else f"/v1/files/{file_id}/content")
            outputs.append({"type": "image", "url": url})
    return outputs
