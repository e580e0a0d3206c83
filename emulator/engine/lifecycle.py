"""Run status transitions: persist, stamp timestamps, publish the event, close what is open.

Statuses and their events follow OpenAI's run lifecycle:
queued → in_progress → (requires_action → queued →)* completed | incomplete | failed,
with cancelling → cancelled and requires_action → expired on the side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from openai.types.beta.threads import Run, RunStatus
from openai.types.beta.threads.run import IncompleteDetails, LastError

from emulator import run_status
from emulator.engine.events import run_event
from emulator.objects import revise

if TYPE_CHECKING:
    from emulator.runtime import Runtime


# What happens to a still-open step or message when its run ends this way.
_STEP_END = {"cancelled": "cancelled", "failed": "failed", "expired": "expired", "incomplete": "cancelled"}
_MESSAGE_END_REASON = {"cancelled": "run_cancelled", "failed": "run_failed", "expired": "run_expired"}


class RunLifecycle:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt

    def publish(self, run_id: str, name: str, obj) -> None:
        self._rt.hub.publish(run_id, run_event(name, obj))

    def transition(self, run: Run, status: RunStatus, **fields) -> Run:
        """Save `run` in `status` with `fields` changed, and publish `thread.run.<status>`."""
        if status not in run_status.ACTIVE:
            fields = {"expires_at": None, "required_action": None, **fields}
        updated = revise(run, status=status, **fields)
        self._rt.stores.runs.save(updated)
        self.publish(updated.id, f"thread.run.{status}", updated)
        return updated

    def complete(self, run: Run) -> Run:
        return self.transition(run, "completed", completed_at=self._rt.clock.now())

    def incomplete(self, run: Run, reason: str) -> Run:
        self._close_open_parts(run, "incomplete")
        details = IncompleteDetails.model_validate({"reason": reason})
        return self.transition(run, "incomplete", incomplete_details=details, completed_at=self._rt.clock.now())

    def fail(self, run: Run, code: str, message: str) -> Run:
        error = LastError.model_validate({"code": code, "message": message})
        self._close_open_parts(run, "failed", error)
        return self.transition(run, "failed", last_error=error, failed_at=self._rt.clock.now())

    def cancel(self, run: Run) -> Run:
        self._close_open_parts(run, "cancelled")
        return self.transition(run, "cancelled", cancelled_at=self._rt.clock.now())

    def expire(self, run: Run) -> Run:
        self._close_open_parts(run, "expired")
        return self.transition(run, "expired")

    def _close_open_parts(self, run: Run, ending: str, error: LastError | None = None) -> None:
        now = self._rt.clock.now()
        stores = self._rt.stores
        for step in stores.steps.find(run_id=run.id):
            if step.status != "in_progress":
                continue
            status = _STEP_END[ending]
            stamp = {"cancelled": "cancelled_at", "failed": "failed_at", "expired": "expired_at"}[status]
            fields = {"status": status, stamp: now}
            if error is not None:  # steps know fewer error codes than runs
                code = error.code if error.code in ("server_error", "rate_limit_exceeded") else "server_error"
                fields["last_error"] = {"code": code, "message": error.message}
            step = stores.steps.save(revise(step, **fields))
            self.publish(run.id, f"thread.run.step.{status}", step)
        for message in stores.messages.find(run_id=run.id):
            if message.status != "in_progress":
                continue
            reason = _MESSAGE_END_REASON.get(ending, "max_tokens")
            message = stores.messages.save(
                revise(message, status="incomplete", incomplete_at=now, incomplete_details={"reason": reason})
            )
            self.publish(run.id, "thread.message.incomplete", message)
