"""Record and replay model calls at the model seam.

Every model call of a run goes through `ModelClient.stream`. In record mode,
`RecordingModelClient` passes each call on to litellm (any litellm model) and writes
the request/response pair to the cassette. In replay mode, `ReplayModelClient`
answers from the cassette and never calls litellm, so it cannot reach the network:
a request with no recording fails the run with a message naming the cassette and
showing the diff from the nearest recorded request.

Calls routed to the scripted model pass straight through in both modes: they are
local and deterministic already, and tests may mix them with a cassette.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path
from typing import AsyncIterator, Literal, Protocol

from emulator.llm.cassette import (
    Cassette,
    Interaction,
    RecordedResponse,
    ToolRun,
    canonical_request,
    key_of,
    nearest_diff,
)
from emulator.llm.client import ModelClient, StreamItem
from emulator.llm.types import ChatRequest, ModelError
from emulator.settings import Settings

log = logging.getLogger(__name__)

MISS_LOG_NAME = "replay-misses.jsonl"
"""In the data dir: one JSON line per replay miss, for the pytest plugin to report."""


class ReplayMiss(ModelError):
    """Replay has no recording for a request (or a hosted tool's output no longer matches)."""

    def __init__(self, message: str) -> None:
        super().__init__("server_error", message)


class ChatModel(Protocol):
    """What the run engine needs from a model client (`ModelClient` and its wrappers)."""

    async def warm_up(self) -> None: ...

    def stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]: ...


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

    @classmethod
    def from_settings(cls, settings: Settings) -> "Tape | None":
        """Record mode starts a fresh cassette (written at once); replay mode loads one."""
        options = {"repeats": settings.replay_repeats, "tool_outputs": settings.replay_tool_outputs,
                   "miss_log": settings.data_dir / MISS_LOG_NAME}
        if settings.record is not None:
            tape = cls("record", settings.record, Cassette(), **options)
            tape.cassette.save(tape.path)
            return tape
        if settings.replay is not None:
            return cls("replay", settings.replay, Cassette.load(settings.replay), **options)
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
            raise self.miss(self._no_recording_message(canonical, key))
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

    def _no_recording_message(self, canonical: dict, key: str) -> str:
        head = f"Replay: cassette {self.path} has no recording of this model request (key {key})."
        nearest = nearest_diff(self.cassette.interactions, canonical)
        if nearest is None:
            return f"{head} The cassette holds no model calls."
        index, diff = nearest
        return f"{head} Nearest recorded request (#{index + 1}) differs:\n{diff}"

    def miss(self, message: str) -> ReplayMiss:
        """Log a replay miss where the operator and the pytest plugin will see it; return the error."""
        log.warning("%s", message)
        if self._miss_log is not None:
            self._miss_log.parent.mkdir(parents=True, exist_ok=True)
            with self._miss_log.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps({"cassette": str(self.path), "message": message}) + "\n")
        return ReplayMiss(message)


def _scripted(routed: str) -> bool:
    return routed.startswith("scripted/")


class RecordingModelClient:
    """Passthrough to any litellm model, writing each call to the cassette."""

    def __init__(self, inner: ModelClient, tape: Tape) -> None:
        self._inner = inner
        self._tape = tape

    async def warm_up(self) -> None:
        await self._inner.warm_up()

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        routed = self._inner.routed_model(request.model)
        items: list[StreamItem] = []
        try:
            async for item in self._inner.stream(request):
                items.append(item)
                yield item
        except ModelError as exc:
            if not _scripted(routed):  # a failed call is part of the session: replay fails it the same way
                self._tape.record_call(request, routed, items, exc)
            raise
        # A call cut short (run cancelled) is not recorded: it has no response to replay.
        if not _scripted(routed):
            self._tape.record_call(request, routed, items)


class ReplayModelClient:
    """Answers from the cassette; only scripted models reach litellm."""

    def __init__(self, inner: ModelClient, tape: Tape) -> None:
        self._inner = inner
        self._tape = tape

    async def warm_up(self) -> None:
        await self._inner.warm_up()  # the built-in scripted echo model: never the network

    async def stream(self, request: ChatRequest) -> AsyncIterator[StreamItem]:
        if _scripted(self._inner.routed_model(request.model)):
            async for item in self._inner.stream(request):
                yield item
            return
        response = self._tape.replay_call(request)
        for item in response.stream():
            yield item
        if response.error is not None:
            raise ModelError(response.error.code, response.error.message)


def wrap_model_client(client: ModelClient, tape: Tape | None) -> ChatModel:
    if tape is None:
        return client
    return RecordingModelClient(client, tape) if tape.mode == "record" else ReplayModelClient(client, tape)
