"""One model call of a run, recorded as OpenAI records it: run steps, a message, and their events.

Text opens a `message_creation` step and an assistant message, streamed as
`thread.message.delta` events; tool calls open a `tool_calls` step, streamed as
`thread.run.step.delta` events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dataclasses import dataclass, field

from openai.types.beta.threads import Message, MessageDeltaEvent, Run
from openai.types.beta.threads.runs import RunStep, RunStepDeltaEvent

from emulator.engine.events import Event
from emulator.engine.lifecycle import RunLifecycle
from emulator.llm import Finish, TextDelta, ToolCallDelta
from emulator.objects import revise
from emulator.tools import AnnotatedText, ToolRegistry

if TYPE_CHECKING:
    from emulator.runtime import Runtime


@dataclass
class ToolCallDraft:
    id: str
    name: str = ""
    arguments: str = ""
    hosted: bool = False
    """A call of a hosted tool: its step delta is published when it runs, not as the model writes it."""


@dataclass
class TurnResult:
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    message: Message | None
    tool_step: RunStep | None
    tool_calls: list[ToolCallDraft] = field(default_factory=list)


class TurnRecorder:
    def __init__(self, rt: Runtime, lifecycle: RunLifecycle, run: Run, tools: ToolRegistry) -> None:
        self._rt = rt
        self._tools = tools
        self._life = lifecycle
        self._run = run
        self._message: Message | None = None
        self._message_step: RunStep | None = None
        self._text: list[str] = []
        self._tool_step: RunStep | None = None
        self._calls: dict[int, ToolCallDraft] = {}

    def feed(self, item: TextDelta | ToolCallDelta) -> None:
        if isinstance(item, TextDelta):
            self._on_text(item.text)
        else:
            self._on_tool_call(item)

    # -- text -------------------------------------------------------------------------
    def _on_text(self, text: str) -> None:
        if self._message is None:
            self._open_message()
        self._text.append(text)
        delta = MessageDeltaEvent.model_validate(
            {"id": self._message.id, "object": "thread.message.delta",
             "delta": {"content": [{"index": 0, "type": "text", "text": {"value": text, "annotations": []}}]}}
        )
        self._rt.hub.publish(self._run.id, Event.of("thread.message.delta", delta))

    def _open_message(self) -> None:
        rt, run, now = self._rt, self._run, self._rt.clock.now()
        message = Message(
            id=rt.ids.new("msg_"), object="thread.message", created_at=now, thread_id=run.thread_id,
            role="assistant", content=[], assistant_id=run.assistant_id, run_id=run.id, attachments=[],
            metadata={}, status="in_progress", completed_at=None, incomplete_at=None, incomplete_details=None,
        )
        step = self._new_step("message_creation", {"type": "message_creation",
                                                   "message_creation": {"message_id": message.id}})
        self._message_step = step
        self._message = rt.stores.messages.add(message)
        self._life.publish(run.id, "thread.message.created", message)
        self._life.publish(run.id, "thread.message.in_progress", message)

    def _close_message(self, usage: dict | None, status: str = "completed") -> Message:
        now = self._rt.clock.now()
        final = AnnotatedText("".join(self._text))
        for tool in self._tools.enabled(self._run):
            final = tool.annotate(self._run, final)
        content = [*final.leading_content,
                   {"type": "text", "text": {"value": final.text, "annotations": final.annotations}}]
        if status == "completed":
            fields = {"status": "completed", "completed_at": now}
        else:
            fields = {"status": "incomplete", "incomplete_at": now, "incomplete_details": {"reason": "max_tokens"}}
        message = self._rt.stores.messages.save(
            revise(self._message, content=content, attachments=final.attachments, **fields)
        )
        self._life.publish(self._run.id, f"thread.message.{message.status}", message)
        step = self._rt.stores.steps.save(
            revise(self._message_step, status="completed", completed_at=now, usage=usage)
        )
        self._life.publish(self._run.id, "thread.run.step.completed", step)
        self._message = message
        return message

    # -- tool calls -------------------------------------------------------------------
    def _on_tool_call(self, delta: ToolCallDelta) -> None:
        if self._message is not None and self._message.status == "in_progress":
            self._close_message(usage=None)
        if self._tool_step is None:
            self._tool_step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": []})
        draft = self._calls.get(delta.index)
        entry: dict = {"index": delta.index, "type": "function", "function": {"arguments": delta.arguments}}
        if draft is None:
            draft = self._calls[delta.index] = ToolCallDraft(id=delta.id or self._rt.ids.new("call_"))
            draft.hosted = self._tools.for_function(delta.name or "") is not None
            entry["id"] = draft.id
            entry["function"].update(name=delta.name or "", output=None)
        if delta.name and not draft.name:
            draft.name = delta.name
        draft.arguments += delta.arguments
        if draft.hosted:
            return
        event = RunStepDeltaEvent.model_validate(
            {"id": self._tool_step.id, "object": "thread.run.step.delta",
             "delta": {"step_details": {"type": "tool_calls", "tool_calls": [entry]}}}
        )
        self._rt.hub.publish(self._run.id, Event.of("thread.run.step.delta", event))

    # -- shared -----------------------------------------------------------------------
    def _new_step(self, step_type: str, details: dict) -> RunStep:
        rt, run = self._rt, self._run
        step = RunStep.model_validate({
            "id": rt.ids.new("step_"), "object": "thread.run.step", "created_at": rt.clock.now(),
            "assistant_id": run.assistant_id, "thread_id": run.thread_id, "run_id": run.id,
            "type": step_type, "status": "in_progress", "step_details": details, "last_error": None,
            "expired_at": None, "cancelled_at": None, "failed_at": None, "completed_at": None,
            "metadata": None, "usage": None,
        })
        rt.stores.steps.add(step)
        self._life.publish(run.id, "thread.run.step.created", step)
        self._life.publish(run.id, "thread.run.step.in_progress", step)
        return step

    def finish(self, finish: Finish) -> TurnResult:
        """Close what the turn opened; the tool step stays open until its calls have outputs."""
        usage = {"prompt_tokens": finish.prompt_tokens, "completion_tokens": finish.completion_tokens,
                 "total_tokens": finish.prompt_tokens + finish.completion_tokens}
        calls = [self._calls[i] for i in sorted(self._calls)]
        if self._message is not None and self._message.status == "in_progress":
            truncated = finish.reason == "length" and not calls
            self._close_message(None if calls else usage, "incomplete" if truncated else "completed")
        if self._tool_step is not None:
            tool_calls = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments, "output": None}}
                for c in calls
            ]
            self._tool_step = self._rt.stores.steps.save(
                revise(self._tool_step, step_details={"type": "tool_calls", "tool_calls": tool_calls}, usage=usage)
            )
        return TurnResult(finish.reason, finish.prompt_tokens, finish.completion_tokens,
                          self._message, self._tool_step, calls)
