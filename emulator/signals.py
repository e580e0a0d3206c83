"""Change signals and event fan-out: the bottom layer that streams and long-polls wait on.

`ChangeSignals` wakes whoever waits on a key when that key changes; `EventHub` hands each
object's server-sent events to its stream subscribers. Nothing here knows an API's objects.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass


class ChangeSignals:
    """Per-key one-shot events: `notify(key)` wakes every current `wait(key)`."""

    def __init__(self) -> None:
        self._waiting: dict[str, asyncio.Event] = {}

    def notify(self, key: str) -> None:
        event = self._waiting.pop(key, None)
        if event is not None:
            event.set()

    async def wait(self, key: str, timeout_s: float) -> None:
        """Return when `key` changes, or after `timeout_s`."""
        event = self._waiting.setdefault(key, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout_s)
        except TimeoutError:
            pass


@dataclass(frozen=True)
class Event:
    """One server-sent event: its name, its JSON data, and what it means to those who follow it."""

    name: str
    data: str
    ends_stream: bool = False
    """The last event of its stream (a terminal status, an error)."""
    changes_status: bool = False
    """Pollers waiting for the object's status to change wake on it."""

    def encode(self) -> bytes:
        return f"event: {self.name}\ndata: {self.data}\n\n".encode()


class EventHub:
    """Per-object fan-out of events to stream subscribers, and change notification for pollers."""

    def __init__(self, tap: Callable[[str, Event], None] | None = None) -> None:
        self._subscribers: dict[str, list[asyncio.Queue[Event]]] = defaultdict(list)
        self._changes = ChangeSignals()
        self._tap = tap
        """Sees every event published (the inspector's run traces, `emulator.traces`)."""

    def subscribe(self, key: str) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers[key].append(queue)
        return queue

    def unsubscribe(self, key: str, queue: asyncio.Queue[Event]) -> None:
        queues = self._subscribers.get(key, [])
        if queue in queues:
            queues.remove(queue)
        if not queues:
            self._subscribers.pop(key, None)

    def publish(self, key: str, event: Event) -> None:
        if self._tap is not None:
            self._tap(key, event)
        for queue in self._subscribers.get(key, ()):
            queue.put_nowait(event)
        if event.changes_status:
            self._changes.notify(key)

    async def wait_for_change(self, key: str, timeout_s: float) -> None:
        """Return when the object's status changes, or after `timeout_s`."""
        await self._changes.wait(key, timeout_s)
