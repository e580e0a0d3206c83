"""Runs in the background: each run's agent loop as a task, with cancel, expiry, and recovery at start.

The loop itself (model turns, tool rounds, limits) is `emulator.agent`'s; `projection.py` writes
what it does as the run's steps and messages and publishes their events.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from openai.types.beta.threads import Run

from emulator import run_status
from emulator.agent import AgentLoop
from emulator.engine.lifecycle import RunLifecycle
from emulator.engine.projection import RunProjection, progress_of
from emulator.engine.prompt import PromptBuilder
from emulator.engine.requests import agent_request
from emulator.ids import id_scope
from emulator.llm import ModelError
from emulator.objects import revise
from emulator.signals import Event
from emulator.tools import ToolRegistry

if TYPE_CHECKING:
    from emulator.runtime import Runtime

log = logging.getLogger(__name__)


class RunEngine:
    def __init__(self, rt: Runtime, tools: ToolRegistry) -> None:
        self._rt = rt
        self._tools = tools
        self.lifecycle = RunLifecycle(rt)
        self._prompts = PromptBuilder(rt.stores, tools)
        self._loop = AgentLoop(rt.models, tools, rt.ids)
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
            calls = [c.model_dump(exclude_unset=True, by_alias=True) for c in step.step_details.tool_calls]
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
            request = agent_request(run, self._rt.stores, self._rt.settings)
            await self._loop.run(request, RunProjection(self._rt, self.lifecycle, self._prompts, run))
        except asyncio.CancelledError:
            if run_id in self._abandoned:  # its thread was deleted: nothing left to write to
                self._abandoned.discard(run_id)
            elif self._stopping:
                self._end_interrupted(run_id)
            else:
                self._end_cancelled(run_id)
        except ModelError as exc:
            self._fail(run_id, exc.code, exc.message)
        except Exception as exc:  # never leave a run in progress on a bug
            log.exception("run %s failed", run_id)
            self._fail(run_id, "server_error", f"Internal error: {exc}")

    # -- endings -----------------------------------------------------------------------
    def _usage_dict(self, run: Run) -> dict:
        return progress_of(self._rt, run.id)[1].as_dict()

    def _end(self, run_id: str, ending) -> None:
        run = self._rt.stores.runs.get(run_id)
        if run is not None and run.status in run_status.ACTIVE:
            ending(revise(run, usage=self._usage_dict(run)))

    def _fail(self, run_id: str, code: str, message: str) -> None:
        self._end(run_id, lambda r: self.lifecycle.fail(r, code, message))

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
        task = asyncio.get_running_loop().create_task(self._tools.session_deleted(thread_id))
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
        if run is None or run.status not in run_status.UNSETTLED:
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
