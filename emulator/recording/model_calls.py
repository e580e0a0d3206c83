"""Record and replay model calls at the model seam.

Every model call of a run goes through `ModelClient.stream`. In record mode,
`RecordingModelClient` passes each call on to litellm (any litellm model) and writes
the request/response pair to the cassette. In replay mode, `ReplayModelClient`
answers from the cassette and never calls litellm, so it cannot reach the network:
a request with no recording fails the run with a message naming the cassette and
showing the diff from the nearest recorded request.

Calls routed to the scripted model pass straight through in both modes: they are
local and deterministic already, and tests may mix them with a cassette. A replayed call is told to the
model client's observer (the inspector's run traces) as the request it matched, marked `replayed_from`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from emulator.llm.client import ChatModel, ModelClient, StreamItem, call_record
from emulator.llm.types import ChatRequest, ModelError
from emulator.recording.cassette import canonical_request
from emulator.recording.tape import Tape


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
        items: list[StreamItem] = []
        error: ModelError | None = None
        started = time.time()
        try:
            response = self._tape.replay_call(request)
            for item in response.stream():
                items.append(item)
                yield item
            if response.error is not None:
                raise ModelError(response.error.code, response.error.message)
        except ModelError as exc:
            error = exc
            raise
        finally:
            if (observer := self._inner.observer) is not None:  # the inspector shows what was replayed
                sent = {**canonical_request(request), "replayed_from": str(self._tape.path)}
                observer(call_record(sent, items, error, started))


def wrap_model_client(client: ModelClient, tape: Tape | None) -> ChatModel:
    if tape is None:
        return client
    return RecordingModelClient(client, tape) if tape.mode == "record" else ReplayModelClient(client, tape)
