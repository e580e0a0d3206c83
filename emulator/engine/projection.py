"""The Assistants face of the agent loop: a run's steps, messages and `thread.*` events.

This is where the order of a run's stream events lives. For each model turn:
- text: a `message_creation` step (`thread.run.step.created`, `.in_progress`), its message
  (`thread.message.created`, `.in_progress`), a `thread.message.delta` per piece of text, and when
  the text is done `thread.message.completed` (or `.incomplete`) and `thread.run.step.completed`;
- tool calls: a `tool_calls` step (`created`, `in_progress`), a `thread.run.step.delta` per piece of a
  function call as the model writes it; hosted calls show as step deltas when they start (their code,
  say) and when they finish (their outputs); the step completes when every call has its output.
Then the run's own transitions (`thread.run.requires_action`, `.completed`, ...) from `lifecycle.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openai.types.beta.threads import Message, MessageDeltaEvent, Run
from openai.types.beta.threads.runs import RunStep, RunStepDeltaEvent

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
from emulator.engine.events import run_event
from emulator.engine.lifecycle import RunLifecycle
from emulator.engine.prompt import PromptBuilder
from emulator.objects import revise

if TYPE_CHECKING:
    from emulator.runtime import Runtime


class RunProjection(Face):
    """One run's side of the loop: writes what the loop does as the run's objects, and publishes it."""

    def __init__(self, rt: Runtime, lifecycle: RunLifecycle, prompts: PromptBuilder, run: Run) -> None:
        self._rt = rt
        self._life = lifecycle
        self._prompts = prompts
        self._run = run
        self._message: Message | None = None
        self._message_step: RunStep | None = None
        self._tool_step: RunStep | None = None
        self._calls: list[dict[str, Any]] = []

    # -- what the loop asks ------------------------------------------------------------------------
    def prompt(self, system_context: list[str], budget: int | None) -> list[dict]:
        return self._prompts.build(self._run, system_context, budget).messages

    def progress(self) -> tuple[int, Usage]:
        return progress_of(self._rt, self._run.id)

    # -- what the loop tells -----------------------------------------------------------------------
    def emit(self, event: AgentEvent) -> None:
        match event:
            case TextDelta(text=text):
                self._on_text(text)
            case TextDone():
                self._close_message(event)
            case ToolCallDelta():
                self._on_tool_call(event)
            case TurnEnded():
                self._on_turn_end(event)
            case HostedCallStarted(call=call, shown=shown) if shown is not None:
                self._calls[call.index] = shown
                self._save_calls()
                self._publish_call_delta({"index": call.index, **shown})
            case HostedCallDone():
                self._on_hosted_done(event)
            case ToolRoundEnded(pending=pending):
                self._on_round_end(bool(pending))
            case LoopFinished(status=status, reason=reason):
                self._finish(status, reason)

    # -- text --------------------------------------------------------------------------------------
    def _on_text(self, text: str) -> None:
        if self._message is None:
            self._open_message()
        assert self._message is not None
        delta = MessageDeltaEvent.model_validate(
            {"id": self._message.id, "object": "thread.message.delta",
             "delta": {"content": [{"index": 0, "type": "text", "text": {"value": text, "annotations": []}}]}}
        )
        self._publish("thread.message.delta", delta)

    def _open_message(self) -> None:
        rt, run = self._rt, self._run
        message = Message(
            id=rt.ids.new("msg_"), object="thread.message", created_at=rt.clock.now(), thread_id=run.thread_id,
            role="assistant", content=[], assistant_id=run.assistant_id, run_id=run.id, attachments=[],
            metadata={}, status="in_progress", completed_at=None, incomplete_at=None, incomplete_details=None,
        )
        self._message_step = self._new_step("message_creation", {"type": "message_creation",
                                                                 "message_creation": {"message_id": message.id}})
        self._message = rt.stores.messages.add(message)
        self._publish("thread.message.created", message)
        self._publish("thread.message.in_progress", message)

    def _close_message(self, done: TextDone) -> None:
        assert self._message is not None and self._message_step is not None
        now, answer = self._rt.clock.now(), done.answer
        content = [*answer.leading_content,
                   {"type": "text", "text": {"value": answer.text, "annotations": answer.annotations}}]
        if done.truncated:
            fields = {"status": "incomplete", "incomplete_at": now, "incomplete_details": {"reason": "max_tokens"}}
        else:
            fields = {"status": "completed", "completed_at": now}
        message = self._rt.stores.messages.save(
            revise(self._message, content=content, attachments=answer.attachments, **fields))
        self._publish(f"thread.message.{message.status}", message)
        usage = done.usage.as_dict() if done.usage else None
        step = self._rt.stores.steps.save(revise(self._message_step, status="completed", completed_at=now, usage=usage))
        self._publish("thread.run.step.completed", step)
        self._message = self._message_step = None

    # -- tool calls --------------------------------------------------------------------------------
    def _on_tool_call(self, delta: ToolCallDelta) -> None:
        if self._tool_step is None:
            self._tool_step = self._new_step("tool_calls", {"type": "tool_calls", "tool_calls": []})
        if delta.hosted:  # shown when it runs, not as the model writes it
            return
        entry: dict[str, Any] = {"index": delta.index, "type": "function", "function": {"arguments": delta.arguments}}
        if delta.started:
            entry["id"] = delta.call_id
            entry["function"].update(name=delta.name, output=None)
        self._publish_call_delta(entry)

    def _on_turn_end(self, turn: TurnEnded) -> None:
        if self._tool_step is None:
            return
        # Every call as the model wrote it; a hosted call's entry is replaced when it runs.
        self._calls = [{"id": c.call_id, "type": "function",
                        "function": {"name": c.name, "arguments": c.arguments, "output": None}} for c in turn.calls]
        self._tool_step = self._rt.stores.steps.save(revise(
            self._tool_step, step_details={"type": "tool_calls", "tool_calls": self._calls}, usage=turn.usage.as_dict()))

    def _on_hosted_done(self, done: HostedCallDone) -> None:
        index, result = done.call.index, done.result
        self._calls[index] = result
        if done.shown is None:
            delta = {"id": result["id"], **call_result_delta(index, {}, result)}
        else:
            delta = call_result_delta(index, done.shown, result)
        self._save_calls()
        self._publish_call_delta(delta)

    def _on_round_end(self, waits_for_client: bool) -> None:
        assert self._tool_step is not None
        self._save_calls()
        if waits_for_client:
            required = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
                for c in self._calls if c["type"] == "function"
            ]}}
            expires_at = self._rt.clock.now() + self._rt.settings.requires_action_timeout_s
            self._life.transition(self._current_run(), "requires_action", required_action=required,
                                  expires_at=expires_at)
            return
        step = self._rt.stores.steps.save(revise(self._tool_step, status="completed", completed_at=self._rt.clock.now()))
        self._publish("thread.run.step.completed", step)
        self._tool_step = None

    def _save_calls(self) -> None:
        assert self._tool_step is not None
        self._tool_step = self._rt.stores.steps.save(
            revise(self._tool_step, step_details={"type": "tool_calls", "tool_calls": self._calls}))

    def _publish_call_delta(self, entry: dict) -> None:
        assert self._tool_step is not None
        event = RunStepDeltaEvent.model_validate({"id": self._tool_step.id, "object": "thread.run.step.delta",
                                                  "delta": {"step_details": {"type": "tool_calls",
                                                                             "tool_calls": [entry]}}})
        self._publish("thread.run.step.delta", event)

    # -- shared ------------------------------------------------------------------------------------
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
        self._publish("thread.run.step.created", step)
        self._publish("thread.run.step.in_progress", step)
        return step

    def _finish(self, status: str, reason: str | None) -> None:
        run = revise(self._current_run(), usage=progress_of(self._rt, self._run.id)[1].as_dict())
        if status == "completed":
            self._life.complete(run)
        else:
            self._life.incomplete(run, reason or "max_completion_tokens")

    def _current_run(self) -> Run:
        return self._rt.stores.runs.get(self._run.id) or self._run

    def _publish(self, name: str, obj) -> None:
        self._rt.hub.publish(self._run.id, run_event(name, obj))


def progress_of(rt: Runtime, run_id: str) -> tuple[int, Usage]:
    """Model calls a run made and the tokens they used, from its steps (each call leaves its usage on one)."""
    calls, usage = 0, Usage()
    for step in rt.stores.steps.find(run_id=run_id):
        if step.usage is not None:
            calls += 1
            usage = usage + Usage(step.usage.prompt_tokens, step.usage.completion_tokens)
    return calls, usage


def call_result_delta(index: int, before: dict, after: dict) -> dict:
    """The step delta for a finished hosted call: only what changed since its preview.

    Stream clients add deltas up (strings concatenate, lists extend), so unchanged
    values must not be sent again; list entries carry their `index`.
    """
    tool_type = after["type"]
    shown, done = before.get(tool_type, {}), after.get(tool_type, {})
    changed = {}
    for key, value in done.items():
        if shown.get(key) == value:
            continue
        if isinstance(value, list):
            start = len(shown.get(key) or [])
            value = [{"index": start + i, **v} if isinstance(v, dict) else v for i, v in enumerate(value[start:])]
        changed[key] = value
    return {"index": index, "type": tool_type, tool_type: changed}
