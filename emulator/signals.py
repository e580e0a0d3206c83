"""Change signals for long-polling: wake whoever waits on a key when that key changes."""

from __future__ import annotations

import asyncio


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
        except asyncio.TimeoutError:
            pass
