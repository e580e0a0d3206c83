"""The face's side of the loop: the conversation it keeps, and the events it is told.

A face subclasses `Face`: `prompt` and `progress` are required; `emit` receives every event
(see `events.py` for their order) and does nothing here.
"""

from __future__ import annotations

from typing import Any

from emulator.agent.events import AgentEvent, Usage


class PromptTooLong(Exception):
    """Even truncated, the prompt exceeds the loop's prompt token budget."""


class Face:
    def prompt(self, system_context: list[str], budget: int | None) -> list[dict[str, Any]]:
        """The chat messages for the next model call: the face's instructions and `system_context`
        (what the hosted tools add) as the system message, then the conversation so far, this loop's
        turns and tool results included. At most `budget` tokens (None: no cap), else PromptTooLong."""
        raise NotImplementedError

    def progress(self) -> tuple[int, Usage]:
        """Model calls made and tokens used so far by this loop (a loop resumed after function calls
        continues from what was recorded)."""
        return 0, Usage()

    def emit(self, event: AgentEvent) -> None:
        """One thing that happened, as it happens."""
