"""Run events, published as they happen to whoever streams the run."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass

from pydantic import BaseModel

from emulator.signals import ChangeSignals

TERMINAL_RUN_EVENTS = frozenset(
    {
        "thread.run.completed",
        "thread.run.failed",
        "thread.run.cancelled",
        "thread.run.expired",
        "thread.run.incomplete",
        "thread.run.requires_action",
    }
)


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name and its JSON data."""

    name: str
    data: str

    @classmethod
    def of(cls, name: str, obj: BaseModel) -> "Event":
        # Only the fields set: deltas carry just what changed, as OpenAI sends them.
        return cls(name, obj.model_dump_json(exclude_unset=True))

    @property
    def ends_stream(self) -> bool:
        return self.name in TERMINAL_RUN_EVENTS or self.name == "error"

    def encode(self) -> bytes:
        return f"event: {self.name}\ndata: {self.data}\n\n".encode()


DONE = b"event: done\ndata: [DONE]\n\n"


class EventHub:
    """Per-run fan-out of events to stream subscribers, and change notification for pollers."""

    def __init__(self) -> None:
        self._subscribers: dict[str, list[asyncio.Queue[Event]]] = defaultdict(list)
        self._changes = ChangeSignals()

    def subscribe(self, run_id: str) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers[run_id].append(queue)
        return queue

    def unsubscribe(self, run_id: str, queue: asyncio.Queue[Event]) -> None:
        queues = self._subscribers.get(run_id, [])
        if queue in queues:
            queues.remove(queue)
        if not queues:
            self._subscribers.pop(run_id, None)

    def publish(self, run_id: str, event: Event) -> None:
        for queue in self._subscribers.get(run_id, ()):
            queue.put_nowait(event)
        if event.name.startswith("thread.run.") and not event.name.startswith("thread.run.step"):
            self._changes.notify(run_id)

    async def wait_for_change(self, run_id: str, timeout_s: float) -> None:
        """Return when the run's status changes, or after `timeout_s`."""
        await self._changes.wait(run_id, timeout_s)
