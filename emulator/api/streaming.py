"""Server-sent events in OpenAI's framing: a run's stream ends with `event: done`, a response's does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from starlette.responses import StreamingResponse

from emulator.engine.events import DONE
from emulator.signals import Event, EventHub


def sse_response(hub: EventHub, key: str, queue: asyncio.Queue[Event] | None, *, past: Sequence[Event] = (),
                 done: bytes | None = DONE) -> StreamingResponse:
    """`past` events, then those `queue` gets until one ends the stream (none when `queue` is None), then `done`."""
    async def events() -> AsyncIterator[bytes]:
        try:
            ended = False
            for event in past:
                if event.name:
                    yield event.encode()
                ended = ended or event.ends_stream
            while queue is not None and not ended:
                event = await queue.get()
                if event.name:  # a nameless event only ends the stream
                    yield event.encode()
                ended = event.ends_stream
            if done is not None:
                yield done
        finally:
            if queue is not None:
                hub.unsubscribe(key, queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
