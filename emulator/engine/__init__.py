"""The run engine: executes runs in the background, streams their events."""

from emulator.engine.events import EventHub
from emulator.engine.runner import RunEngine

__all__ = ["EventHub", "RunEngine"]
