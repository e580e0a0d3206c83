"""The cassette of one server session: what record and replay mode share.

`Tape` holds the cassette being recorded (written after every call, so a killed
server loses nothing) or replayed (each recording used once, in order, unless
repeats are allowed). The model-call wrappers (`model_calls`) and the hosted-tool
wrappers (`hosted_tools`) write to and read from it; a replay miss is logged to
`MISS_LOG_NAME` in the data dir, where the pytest plugin reports it.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from pathlib import Path
from typing import Literal

from emulator.ids import current_scope
from emulator.llm.client import StreamItem
from emulator.llm.types import ChatRequest, ModelError
from emulator.recording.cassette import (
    Cassette,
    Interaction,
    RecordedResponse,
    ToolRun,
    canonical_request,
    key_of,
    nearest_diff,
)
from emulator.settings import Settings

log = logging.getLogger(__name__)

MAX_KEPT_MISSES = 200
MISS_LOG_NAME = "replay-misses.jsonl"
"""In the data dir: one JSON line per replay miss, for the pytest plugin to report."""


class ReplayMiss(ModelError):
    """Replay has no recording for a request (or a hosted tool's output no longer matches)."""

    def __init__(self, message: str) -> None:
        super().__init__("server_error", message)


class Tape:
    """The cassette of one server session, shared by model calls and hosted tools."""

    def __init__(self, mode: Literal["record", "replay"], path: Path, cassette: Cassette, *,
                 repeats: bool = False, tool_outputs: Literal["execute", "inject"] = "execute",
                 miss_log: Path | None = None) -> None:
        self.mode = mode
        self.path = path
        self.cassette = cassette
        self.repeats = repeats
        self.tool_outputs = tool_outputs
        self._miss_log = miss_log
        self._used: dict[str, int] = defaultdict(int)
        self.misses: list[dict] = []
        """This session's replay misses (the last `MAX_KEPT_MISSES`), for the inspector: each with its
        message, and for a model request with no recording, the request, the nearest recording and the diff."""

    @classmethod
    def from_settings(cls, settings: Settings) -> "Tape | None":
        """Record mode starts a fresh cassette (written at once); replay mode loads one."""
        repeats, tool_outputs = settings.replay_repeats, settings.replay_tool_outputs
        miss_log = settings.data_dir / MISS_LOG_NAME
        if settings.record is not None:
            tape = cls("record", settings.record, Cassette(),
                       repeats=repeats, tool_outputs=tool_outputs, miss_log=miss_log)
            tape.cassette.save(tape.path)
            return tape
        if settings.replay is not None:
            return cls("replay", settings.replay, Cassette.load(settings.replay),
                       repeats=repeats, tool_outputs=tool_outputs, miss_log=miss_log)
        return None

    # -- recording ------------------------------------------------------------------------
    def record_call(self, request: ChatRequest, routed: str, items: list[StreamItem],
                    error: ModelError | None = None) -> None:
        canonical = canonical_request(request)
        self.cassette.interactions.append(Interaction(
            key=key_of(canonical), request=canonical, recorded_with=routed,
            response=RecordedResponse.from_stream(items, error),
        ))
        self.cassette.save(self.path)

    def record_tool_run(self, tool_run: ToolRun) -> None:
        self.cassette.tool_runs.append(tool_run)
        self.cassette.save(self.path)

    # -- replaying ------------------------------------------------------------------------
    def replay_call(self, request: ChatRequest) -> RecordedResponse:
        """The recorded response for this request (identical requests in recorded order)."""
        canonical = canonical_request(request)
        key = key_of(canonical)
        matches = [i for i in self.cassette.interactions if i.key == key]
        if not matches:
            message, nearest = self._no_recording_message(canonical, key)
            raise self.miss(message, key=key, request=canonical, nearest_index=nearest[0] if nearest else None,
                            diff=nearest[1] if nearest else None)
        n = self._next_use(key, len(matches), "model request")
        return matches[n].response

    def replay_tool_run(self, key: str, tool: str) -> ToolRun:
        matches = [r for r in self.cassette.tool_runs if r.key == key]
        if not matches:
            raise self.miss(f"Replay: cassette {self.path} has no recorded {tool} call with these arguments "
                             f"(key {key}).")
        return matches[self._next_use("tool:" + key, len(matches), f"{tool} call")]

    def _next_use(self, key: str, recorded: int, what: str) -> int:
        n = self._used[key]
        if n >= recorded:
            if not self.repeats:
                raise self.miss(
                    f"Replay: cassette {self.path} recorded this {what} {recorded} time(s), and all were "
                    f"already replayed (request {n + 1}). Re-record, or allow repeats (replay_repeats).")
            n = recorded - 1
        self._used[key] += 1
        return n

    def _no_recording_message(self, canonical: dict, key: str) -> tuple[str, tuple[int, str] | None]:
        head = f"Replay: cassette {self.path} has no recording of this model request (key {key})."
        nearest = nearest_diff(self.cassette.interactions, canonical)
        if nearest is None:
            return f"{head} The cassette holds no model calls.", None
        index, diff = nearest
        return f"{head} Nearest recorded request (#{index + 1}) differs:\n{diff}", nearest

    def miss(self, message: str, **details) -> ReplayMiss:
        """Log a replay miss where the operator and the pytest plugin will see it; return the error."""
        log.warning("%s", message)
        self.misses.append({"at_ms": int(time.time() * 1000), "run_id": current_scope() or None, "message": message,
                            **details})
        del self.misses[:-MAX_KEPT_MISSES]
        if self._miss_log is not None:
            self._miss_log.parent.mkdir(parents=True, exist_ok=True)
            with self._miss_log.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"cassette": str(self.path), "message": message}) + "\n")
        return ReplayMiss(message)
