"""Executes runs in the background: model turns, tool rounds, limits, cancel and expiry."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncio
import logging

from openai.types.beta.threads import Run
from openai.types.beta.threads.runs import RunStepDeltaEvent

from emulator import aids
from emulator.engine.events import Event
from emulator import run_status
from emulator.engine.lifecycle import RunLifecycle
from emulator.engine.prompt import PromptBuilder, PromptTooLong
from emulator.engine.requests import chat_response_format, chat_tool_choice, chat_tools
from emulator.engine.turn import TurnRecorder, TurnResult
from emulator.ids import id_scope
from emulator.llm import ChatRequest, Finish, ModelError
from emulator.objects import revise
from emulator.tools import ToolRegistry

if TYPE_CHECKING:
    from emulator.runtime import Runtime

log = logging.getLogger(__name__)


def _call_result_delta(index: int, before: dict, after: dict) -> dict:
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


class RunEngine:
    def __init__(self, rt: Runtime, tools: ToolRegistry) -> None:
        self._rt = rt
        self._tools = tools
        self.lifecycle = RunLifecycle(rt)
        self._prompts = PromptBuilder(rt.stores, tools)
        self._tasks: dict[str, asyncio.Task] = {}
        self._sweeper: asyncio.Task | None = None
        self._stopping = False
        self._abandoned: set[str] = set()
        self._housekeeping: set[asyncio.Task] = set()

    # -- starting and continuing -----------------------------------------------------
    def launch(self, run: Run, *, stream: bool = False, prelude: tuple[Event, ...] = ()) -> asyncio.Queue | None:
        """Announce a new queued run and start executing it. With `stream`, returns its event queue."""
        queue = self._rt.hub.subscribe(run.id) if stream else None
        if queue is not None:
            for event in prelude:
                queue.put_nowait(event)
        self.lifecycle.publish(run.id, "thread.run.created", run)
        self.lifecycle.publish(run.id, "thread.run.queued", run)
        self._start(run.id)
        return queue

    def _start(self, run_id: str) -> None:
        if self._stopping:  # the server is stopping: the run ends at once, as a restart would end it
            asyncio.get_running_loop().call_soon(self._end_interrupted, run_id)
            return
        task = asyncio.get_running_loop().create_task(self._execute(run_id), name=f"run {run_id}")
        self._tasks[run_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(run_id, None))

    def submit_tool_outputs(
        self, run: Run, outputs: dict[str, str], *, stream: bool = False
    ) -> tuple[Run, asyncio.Queue | None]:
        """Record the client's outputs on the waiting step, queue the run again and continue it."""
        queue = self._rt.hub.subscribe(run.id) if stream else None
        now = self._rt.clock.now()
        for step in self._rt.stores.steps.find(run_id=run.id):
            if step.status != "in_progress" or step.step_details.type != "tool_calls":
                continue
            calls = [c.model_dump(exclude_unset=True) for c in step.step_details.tool_calls]
            for call in calls:
                if call["type"] == "function" and call["id"] in outputs:
                    call["function"]["output"] = outputs[call["id"]]
            details = {"type": "tool_calls", "tool_calls": calls}
            step = self._rt.stores.steps.save(revise(step, step_details=details, status="completed", completed_at=now))
            self.lifecycle.publish(run.id, "thread.run.step.completed", step)
        run = self.lifecycle.transition(run, "queued", required_action=None)
        self._start(run.id)
        return run, queue

    async def _execute(self, run_id: str) -> None:
        with id_scope(run_id):  # ids made while executing count within the run (deterministic mode)
            await self._execute_scoped(run_id)

    async def _execute_scoped(self, run_id: str) -> None:
        run = self._rt.stores.runs.get(run_id)
        if run is None or run.status != "queued":
            return
        run = self.lifecycle.transition(run, "in_progress", started_at=run.started_at or self._rt.clock.now())
        try:
            await self._prepare_tools(run)
            await self._turns(run)
        except asyncio.CancelledError:
            if run_id in self._abandoned:  # its thread was deleted: nothing left to write to
                self._abandoned.discard(run_id)
            elif self._stopping:
                self._end_interrupted(run_id)
            else:
                self._end_cancelled(run_id)
        except ModelError as exc:
            self._end(run_id, lambda r: self.lifecycle.fail(r, exc.code, exc.message))
        except Exception as exc:  # never leave a run in progress on a bug
            log.exception("run %s failed", run_id)
            self._end(run_id, lambda r: self.lifecycle.fail(r, "server_error", f"Internal error: {exc}"))

    async def _prepare_tools(self, run: Run) -> None:
        for tool in self._tools.enabled(run):
            prepare = getattr(tool, "prepare", None)  # optional in the HostedTool protocol
            if prepare is not None:
                await prepare(run)

    async def _turns(self, run: Run) -> None:
        calls_made = sum(1 for s in self._rt.stores.steps.find(run_id=run.id) if s.usage is not None)
        while True:
            if calls_made >= self._rt.settings.max_model_calls_per_run:
                raise ModelError("server_error", f"The run called the model {calls_made} times without finishing "
                                 "(the limit is max_model_calls_per_run).")
            calls_made += 1
            used_prompt, used_completion = self._usage(run)
            prompt_budget = None if run.max_prompt_tokens is None else run.max_prompt_tokens - used_prompt
            completion_budget = (
                None if run.max_completion_tokens is None else run.max_completion_tokens - used_completion
            )
            if completion_budget is not None and completion_budget <= 0:
                self._finish(run, "incomplete", "max_completion_tokens")
                return
            try:
                prompt = self._prompts.build(run, prompt_budget)
            except PromptTooLong:
                self._finish(run, "incomplete", "max_prompt_tokens")
                return
            result = await self._call_model(run, prompt.messages, completion_budget, first=calls_made == 1)
            run = self._rt.stores.runs.get(run.id) or run
            if result.tool_calls:
                if not await self._tool_round(run, result):
                    return
                continue
            reason = "max_completion_tokens" if result.finish_reason == "length" else None
            self._finish(run, "incomplete" if reason else "completed", reason)
            return

    async def _call_model(self, run: Run, messages: list[dict], max_tokens: int | None, first: bool) -> TurnResult:
        # A forced tool choice applies to the run's first model call; after that the model may answer,
        # or it could only ever call the tool again.
        choice = chat_tool_choice(run, self._tools) if first else ("none" if run.tool_choice == "none" else "auto")
        request = ChatRequest(
            model=run.model, messages=messages, tools=chat_tools(run, self._tools),
            tool_choice=choice, parallel_tool_calls=run.parallel_tool_calls,
            response_format=chat_response_format(run), temperature=run.temperature, top_p=run.top_p,
            max_tokens=max_tokens,
        )
        aid = aids.aids_for(self._rt.settings.model_map, run.model)  # aid: options of the run's model
        request = aids.with_tool_instructions(request, aid)  # aid: tool_instructions
        request = aids.hosted_tool_first(request, aid) if first else request  # aid: hosted_tool_first
        recorder = TurnRecorder(self._rt, self.lifecycle, run, self._tools)
        finish = Finish("stop", 0, 0)
        async for item in aids.loop_guarded(self._rt.models.stream, request, aid):  # aid: loop_guard
            if isinstance(item, Finish):
                finish = item
            else:
                recorder.feed(item)
        return recorder.finish(finish)

    async def _tool_round(self, run: Run, result: TurnResult) -> bool:
        """Run hosted calls; stop in `requires_action` for function calls. True: call the model again."""
        step = result.tool_step
        assert step is not None
        calls: list[dict] = []
        for index, draft in enumerate(result.tool_calls):
            tool = self._tools.for_function(draft.name)
            if tool is None:  # a function call: its deltas went out as the model wrote it
                calls.append({"id": draft.id, "type": "function",
                              "function": {"name": draft.name, "arguments": draft.arguments, "output": None}})
                continue
            preview = getattr(tool, "preview", None)
            shown = preview(draft.id, draft.arguments) if preview else None
            if shown is not None:  # show the call (its code, say) while it runs
                calls.append(shown)
                step = self._save_calls(step, calls)
                self._publish_call_delta(run, step, {"index": index, **shown})
            done = (await tool.execute(run, draft.id, draft.arguments)).model_dump(exclude_unset=True)
            if shown is None:
                calls.append(done)
                delta = {"id": done["id"], **_call_result_delta(index, {}, done)}
            else:
                calls[index] = done
                delta = _call_result_delta(index, shown, done)
            step = self._save_calls(step, calls)
            self._publish_call_delta(run, step, delta)
        step = self._save_calls(step, calls)
        pending = [c for c in calls if c["type"] == "function"]
        if pending:
            required = {"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": [
                {"id": c["id"], "type": "function",
                 "function": {"name": c["function"]["name"], "arguments": c["function"]["arguments"]}}
                for c in pending
            ]}}
            expires_at = self._rt.clock.now() + self._rt.settings.requires_action_timeout_s
            self.lifecycle.transition(run, "requires_action", required_action=required, expires_at=expires_at)
            return False
        step = self._rt.stores.steps.save(revise(step, status="completed", completed_at=self._rt.clock.now()))
        self.lifecycle.publish(run.id, "thread.run.step.completed", step)
        return True

    def _save_calls(self, step, calls: list[dict]):
        return self._rt.stores.steps.save(revise(step, step_details={"type": "tool_calls", "tool_calls": calls}))

    def _publish_call_delta(self, run: Run, step, entry: dict) -> None:
        event = RunStepDeltaEvent.model_validate({"id": step.id, "object": "thread.run.step.delta",
                                                  "delta": {"step_details": {"type": "tool_calls",
                                                                             "tool_calls": [entry]}}})
        self._rt.hub.publish(run.id, Event.of("thread.run.step.delta", event))

    # -- endings -----------------------------------------------------------------------
    def _usage(self, run: Run) -> tuple[int, int]:
        prompt = completion = 0
        for step in self._rt.stores.steps.find(run_id=run.id):
            if step.usage is not None:
                prompt += step.usage.prompt_tokens
                completion += step.usage.completion_tokens
        return prompt, completion

    def _usage_dict(self, run: Run) -> dict:
        prompt, completion = self._usage(run)
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _finish(self, run: Run, status: str, reason: str | None = None) -> None:
        run = revise(run, usage=self._usage_dict(run))
        if status == "completed":
            self.lifecycle.complete(run)
        else:
            self.lifecycle.incomplete(run, reason or "max_completion_tokens")

    def _end(self, run_id: str, ending) -> None:
        run = self._rt.stores.runs.get(run_id)
        if run is not None and run.status in run_status.ACTIVE:
            ending(revise(run, usage=self._usage_dict(run)))

    def _end_cancelled(self, run_id: str) -> None:
        self._end(run_id, self.lifecycle.cancel)

    # -- cancel, expiry, recovery ----------------------------------------------------
    def cancel(self, run: Run) -> Run:
        """Move an active run to `cancelling`; it becomes `cancelled` right after."""
        run = self.lifecycle.transition(run, "cancelling")
        task = self._tasks.get(run.id)
        if task is not None and not task.done():
            task.cancel()
        else:  # queued-but-not-started or waiting for tool outputs: nothing is executing
            asyncio.get_running_loop().call_soon(self._end_cancelled, run.id)
        return run

    def thread_deleted(self, thread_id: str) -> None:
        """Stop the thread's runs without recording anything, and let tools free its resources."""
        for run in self._rt.stores.runs.find_in("status", run_status.ACTIVE, thread_id=thread_id):
            self.abandon(run.id)
        task = asyncio.get_running_loop().create_task(self._tools.thread_deleted(thread_id))
        self._housekeeping.add(task)  # a reference, so the task is not collected before it runs
        task.add_done_callback(self._housekeeping.discard)

    def abandon(self, run_id: str) -> None:
        """Stop executing a run without recording anything (its thread is being deleted)."""
        task = self._tasks.get(run_id)
        if task is not None and not task.done():
            self._abandoned.add(run_id)
            task.cancel()

    def expire_overdue(self) -> None:
        now = self._rt.clock.now()
        for run in self._rt.stores.runs.find(status="requires_action"):
            if run.expires_at is not None and run.expires_at <= now:
                self._end(run.id, self.lifecycle.expire)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(self._rt.settings.expiry_sweep_interval_s)
            try:
                self.expire_overdue()
            except Exception:  # keep sweeping whatever one pass hit
                log.exception("expiry sweep failed")

    def recover_interrupted(self) -> int:
        """At startup: runs that were executing when the server stopped cannot resume; end them.

        (A run in `requires_action` waits for the client, not the server: it survives, and expires on time.)"""
        count = 0
        for status in run_status.UNSETTLED:
            for run in self._rt.stores.runs.find(status=status):
                self._end_interrupted(run.id)
                count += 1
        return count

    def _end_interrupted(self, run_id: str) -> None:
        """End a run the server can no longer execute: a cancelling run is cancelled, any other failed."""
        run = self._rt.stores.runs.get(run_id)
        if run is None or run.status not in ("queued", "in_progress", "cancelling"):
            return
        if run.status == "cancelling":
            self.lifecycle.cancel(run)
        else:
            message = "The server stopped while this run was in progress; start a new run."
            self.lifecycle.fail(revise(run, usage=self._usage_dict(run)), "server_error", message)

    def start_background(self) -> None:
        self.expire_overdue()
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="run expiry sweeper")

    async def shutdown(self) -> None:
        """Stop executing runs (server shutdown; safe to call again). Each ends as restart recovery would end
        it, its event published, so the streams following it end now, not when the run would have."""
        self._stopping = True
        running = list(self._tasks)
        tasks = [t for t in [self._sweeper, *self._tasks.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for run_id in running:  # a task cancelled before it first ran never reached its own handler
            self._end_interrupted(run_id)
