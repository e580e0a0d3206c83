"""Responses in progress: each response's agent loop as a task, its stream, cancel, and recovery at start.

A response is run synchronously (the create request waits for it), streamed, or in the background
(the create request returns it `queued`; `GET` polls it; its stream can be resumed from a sequence
number while the server runs). `projection.py` turns the loop's events into items and events;
this module adds the response's own events (created, in_progress, the terminal one), numbers every
event, and writes the response and its items when the loop ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.agent import AgentLoop, AgentRequest
from emulator.ids import id_scope
from emulator.llm import ModelError
from emulator.objects import StoredItem, StoredResponse
from emulator.responses.projection import FaceContext, ResponseProjection
from emulator.responses.view import shown_item, shown_response
from emulator.signals import Event
from emulator.tools import ToolRegistry

if TYPE_CHECKING:
    from emulator.runtime import Runtime

log = logging.getLogger(__name__)

TERMINAL = ("completed", "incomplete", "failed", "cancelled")
_KEPT_STREAMS = 200
"""Finished responses whose events stay in memory, for resuming their streams (newest kept)."""
_ERROR_CODES = frozenset({"server_error", "rate_limit_exceeded", "invalid_prompt", "vector_store_timeout",
                          "invalid_image", "invalid_image_format", "invalid_base64_image", "invalid_image_url",
                          "image_too_large", "image_too_small", "image_parse_error", "image_content_policy_violation",
                          "invalid_image_mode", "image_file_too_large", "unsupported_image_media_type",
                          "empty_image_file", "failed_to_download_image", "image_file_not_found"})
"""The codes a response's `error` may carry (the SDK's `ResponseError.code`); others are `server_error`."""
END = Event("", "", ends_stream=True)
"""Ends a stream without an event of its own (a cancelled response has no `response.cancelled`)."""


@dataclass
class ResponseJob:
    """A response to run: its wire object (without output), the loop's request, and what its face sees."""

    response: dict[str, Any]
    request: AgentRequest
    given: FaceContext
    include: frozenset[str]
    store: bool
    conversation_id: str | None = None


@dataclass
class _Stream:
    """A response's events so far, in order; subscribers get what is published after they join."""

    events: list[Event] = field(default_factory=list)
    next_number: int = 0
    ended: bool = False


class ResponseEngine:
    def __init__(self, rt: Runtime, tools: ToolRegistry) -> None:
        self._rt = rt
        self._loop = AgentLoop(rt.models, tools, rt.ids)
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._unstored: dict[str, dict[str, Any]] = {}
        """Responses created with `store: false`, while they run (and the last state of each, until read)."""
        self._stopping = False
        self._deleted: set[str] = set()
        """Responses deleted while their loop ran: nothing more is written for them."""

    # -- starting ------------------------------------------------------------------------------------
    def start(self, job: ResponseJob, *, stream: bool) -> asyncio.Queue[Event] | None:
        """Save the new response, announce it and start its loop; with `stream`, returns its event queue."""
        response_id = job.response["id"]
        queue = self._rt.hub.subscribe(response_id) if stream else None
        self._streams[response_id] = _Stream()
        self._save(job, job.response)
        self._publish(job, "response.created", {"response": shown_response(job.response, job.include)})
        if job.response["status"] == "queued":
            self._publish(job, "response.queued", {"response": shown_response(job.response, job.include)})
        task = asyncio.get_running_loop().create_task(self._execute(job), name=f"response {response_id}")
        self._tasks[response_id] = task
        task.add_done_callback(lambda _t: self._tasks.pop(response_id, None))
        return queue

    async def finished(self, response_id: str) -> dict[str, Any] | None:
        """Wait for the response's loop to end; its final wire object (unstored ones included)."""
        task = self._tasks.get(response_id)
        if task is not None:
            await asyncio.wait({task})
        return self._unstored.pop(response_id, None) or self.current(response_id)

    def current(self, response_id: str) -> dict[str, Any] | None:
        if response_id in self._unstored:
            return self._unstored[response_id]
        found = self._rt.stores.responses.document(response_id)
        return json.loads(found) if found is not None else None

    async def _execute(self, job: ResponseJob) -> None:
        with id_scope(job.response["id"]):  # ids made while it runs count within it (deterministic mode)
            await self._execute_scoped(job)

    async def _execute_scoped(self, job: ResponseJob) -> None:
        response = {**job.response, "status": "in_progress"}
        self._save(job, response)
        self._publish(job, "response.in_progress", {"response": shown_response(response, job.include)})
        face = ResponseProjection(job.given, lambda kind, fields: self._publish(job, kind, fields),
                                  lambda item: shown_item(item, job.include))
        try:
            await self._loop.run(job.request, face)
        except asyncio.CancelledError:
            self._end(job, face, "failed" if self._stopping else "cancelled",
                      _stopped_error() if self._stopping else None)
            return
        except ModelError as exc:
            code = exc.code if exc.code in _ERROR_CODES else "server_error"
            self._end(job, face, "failed", {"code": code, "message": exc.message})
            return
        except Exception as exc:  # never leave a response in progress on a bug
            log.exception("response %s failed", job.response["id"])
            self._end(job, face, "failed", {"code": "server_error", "message": f"Internal error: {exc}"})
            return
        self._end(job, face, face.outcome.status, None, face.outcome.incomplete_reason)

    # -- ending --------------------------------------------------------------------------------------
    def _end(self, job: ResponseJob, face: ResponseProjection, status: str, error: dict[str, Any] | None,
             incomplete_reason: str | None = None) -> None:
        usage = face.usage
        final = {**job.response, "status": status, "output": face.output, "error": error,
                 "incomplete_details": {"reason": incomplete_reason} if incomplete_reason else None,
                 "usage": {"input_tokens": usage.prompt_tokens,
                           "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                           "output_tokens": usage.completion_tokens,
                           "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": usage.total_tokens}}
        if status == "completed":
            final["completed_at"] = self._rt.clock.now()
        with self._rt.stores.db.transaction():
            self._save(job, final)
            if job.store:
                self._save_output(job, face)
        if status == "cancelled":
            self._close_stream(job)
        else:
            self._publish(job, f"response.{status}", {"response": shown_response(final, job.include)})

    def _save_output(self, job: ResponseJob, face: ResponseProjection) -> None:
        """The output items under the response, and input and output appended to its conversation."""
        items, now = self._rt.stores.items, self._rt.clock.now()
        response_id = job.response["id"]
        if response_id in self._deleted:
            return
        for item in face.output:
            items.add(StoredItem(id=self._rt.ids.new("itm_"), created_at=now, owner_id=response_id, kind="output",
                                 item_id=item["id"], item=item, model_view=face.model_views.get(item["id"])))
        if job.conversation_id is None:
            return
        for record in items.of(response_id):
            items.add(StoredItem(id=self._rt.ids.new("itm_"), created_at=now, owner_id=job.conversation_id,
                                 kind="conversation", item_id=record.item_id, item=record.item,
                                 model_view=record.model_view))

    def _save(self, job: ResponseJob, response: dict[str, Any]) -> None:
        response_id = response["id"]
        if response_id in self._deleted:
            return
        if not job.store:
            self._unstored[response_id] = response
            if response["status"] in TERMINAL:  # kept a while for a waiting create request, then gone
                asyncio.get_running_loop().call_later(60, self._unstored.pop, response_id, None)
            return
        model = StoredResponse.model_validate(response)
        if self._rt.stores.responses.exists(response_id):
            self._rt.stores.responses.save(model)
        else:
            self._rt.stores.responses.add(model)

    # -- events --------------------------------------------------------------------------------------
    def _publish(self, job: ResponseJob, kind: str, fields: dict[str, Any]) -> None:
        response_id = job.response["id"]
        stream = self._streams.get(response_id)
        if stream is None:
            return
        payload = {"type": kind, **fields, "sequence_number": stream.next_number}
        stream.next_number += 1
        terminal = kind in ("response.completed", "response.incomplete", "response.failed")
        event = Event(kind, json.dumps(payload), ends_stream=terminal, changes_status=terminal)
        stream.events.append(event)
        stream.ended = terminal
        self._rt.hub.publish(response_id, event)
        if terminal:
            self._forget_old_streams()

    def _close_stream(self, job: ResponseJob) -> None:
        stream = self._streams.get(job.response["id"])
        if stream is not None:
            stream.ended = True
            stream.events.append(END)
        self._rt.hub.publish(job.response["id"], Event("", "", ends_stream=True, changes_status=True))
        self._forget_old_streams()

    def _forget_old_streams(self) -> None:
        finished = [key for key, stream in self._streams.items() if stream.ended]
        for key in finished[:-_KEPT_STREAMS]:
            del self._streams[key]

    def resume(self, response_id: str, starting_after: int) -> tuple[list[Event], asyncio.Queue[Event] | None] | None:
        """The response's events after `starting_after`, and a queue for those still to come (None when it
        has ended); None when its events are not kept (the server restarted, or it is long finished)."""
        stream = self._streams.get(response_id)
        if stream is None:
            return None
        past = [e for n, e in enumerate(stream.events) if n > starting_after]
        if stream.ended:
            return past, None
        return past, self._rt.hub.subscribe(response_id)

    # -- cancel, recovery, shutdown ----------------------------------------------------------------
    def cancel(self, response_id: str) -> bool:
        """Stop a running response (it ends `cancelled`); False when it is not running."""
        task = self._tasks.get(response_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def forget(self, response_id: str) -> None:
        """The response is being deleted: stop its loop, and write nothing more for it."""
        self._deleted.add(response_id)
        self.cancel(response_id)

    def recover_interrupted(self) -> int:
        """At startup: responses that were running when the server stopped cannot resume; they fail."""
        count = 0
        for status in ("queued", "in_progress"):
            for response in self._rt.stores.responses.find(status=status):
                data = response.model_dump(mode="json", exclude_unset=True, by_alias=True)
                data.update(status="failed", error=_stopped_error())
                self._rt.stores.responses.save(StoredResponse.model_validate(data))
                count += 1
        return count

    async def shutdown(self) -> None:
        self._stopping = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _stopped_error() -> dict[str, str]:
    return {"code": "server_error", "message": "The server stopped while this response was in progress; "
                                               "create it again."}
