"""Run statuses that the engine and the services group by, typed with the SDK's `RunStatus`, defined once."""

from __future__ import annotations

from typing import Final

from openai.types.beta.threads import RunStatus

ACTIVE: Final[tuple[RunStatus, ...]] = ("queued", "in_progress", "requires_action", "cancelling")
"""A run in one of these holds its thread: no new run, and no new message, until it ends."""

UNSETTLED: Final[tuple[RunStatus, ...]] = ("queued", "in_progress", "cancelling")
"""The engine is working on the run (one waiting for tool outputs is settled until the client answers)."""
