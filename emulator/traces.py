"""What the inspector shows of a run beyond its API objects: its events in time, and its model calls.

`RunTraces` keeps, per run (any key the event hub publishes under, so a Responses API object too), the
events published for it (every status change, step and message event, deltas left out) with their time
in milliseconds, and the model calls made while executing it: the exact keyword arguments handed to
litellm (secrets taken out) and what came back, with token usage and duration.

Kept in memory, bounded (the most recent `max_runs` runs, `max_calls` model calls and `max_events`
events each), and lost at a restart: it is a debugging aid, not part of the API's data. A model call
carries the whole conversation, so keeping every one in the database would grow it by the square of a
thread's length; the run's own timestamps (`created_at`, `started_at`, ...) and its steps stay in the
store for the inspector to fall back on. Model calls know their run from the id scope the engine sets
around a run's execution (`emulator.ids.id_scope`).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from emulator.ids import current_scope
from emulator.signals import Event

_SECRET_KEYS = ("api_key", "api-key", "authorization", "aws_secret_access_key", "aws_session_token", "vertex_credentials")


@dataclass
class RunTrace:
    events: list[dict[str, Any]] = field(default_factory=list)
    model_calls: list[dict[str, Any]] = field(default_factory=list)
    dropped_events: int = 0
    dropped_calls: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"events": list(self.events), "model_calls": list(self.model_calls),
                "dropped_events": self.dropped_events, "dropped_model_calls": self.dropped_calls}


def redacted(value: Any) -> Any:
    """`value` (litellm keyword arguments) with secrets replaced, recursively."""
    if isinstance(value, dict):
        return {k: "[redacted]" if str(k).lower() in _SECRET_KEYS else redacted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redacted(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)


def _facts(data: dict[str, Any]) -> dict[str, str]:
    """What a timeline shows of an event's data: the object's id, status and type. A Responses API event
    carries its object inside (`response`, `item`) or names it (`item_id`); its own `type` is its name."""
    inner = data.get("response") or data.get("item")
    if isinstance(inner, dict):
        data = inner
    elif isinstance(data.get("item_id"), str):
        return {"id": data["item_id"]}
    return {k: data[k] for k in ("id", "status", "type") if isinstance(data.get(k), str)}


class RunTraces:
    """Per-run event timelines and model-call records, bounded, safe to feed from worker threads."""

    def __init__(self, max_runs: int = 500, max_calls: int = 200, max_events: int = 1000) -> None:
        self._runs: OrderedDict[str, RunTrace] = OrderedDict()
        self._max_runs = max_runs
        self._max_calls = max_calls
        self._max_events = max_events
        self._lock = threading.Lock()

    def _trace(self, key: str) -> RunTrace:
        trace = self._runs.get(key)
        if trace is None:
            trace = self._runs[key] = RunTrace()
            while len(self._runs) > self._max_runs:
                self._runs.popitem(last=False)
        return trace

    def on_event(self, key: str, event: Event) -> None:
        """The event hub's tap: every event published for `key`, deltas left out."""
        if not event.name or event.name.endswith(".delta"):
            return
        try:
            data = json.loads(event.data)
        except ValueError:
            data = {}
        entry = {"event": event.name, "at_ms": int(time.time() * 1000)}
        if isinstance(data, dict):
            entry.update(_facts(data))
        with self._lock:
            trace = self._trace(key)
            if len(trace.events) >= self._max_events:
                trace.dropped_events += 1
                return
            trace.events.append(entry)

    def model_call(self, record: dict[str, Any], key: str | None = None) -> None:
        """Keep one model call's record under `key` (default: the run executing now); none outside a run."""
        key = key or current_scope()
        if not key:
            return
        record = {**record, "request": redacted(record.get("request"))}  # a copy: the loop reuses its lists
        with self._lock:
            trace = self._trace(key)
            if len(trace.model_calls) >= self._max_calls:
                trace.dropped_calls += 1
                return
            trace.model_calls.append(record)

    def of(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            trace = self._runs.get(key)
            return None if trace is None else trace.as_dict()
