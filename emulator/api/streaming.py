"""Server-sent events for streamed runs, in OpenAI's framing, ending with `event: done`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from starlette.responses import StreamingResponse

from emulator.engine.events import DONE
from emulator.signals import Event, EventHub


def sse_response(hub: EventHub, run_id: str, queue: asyncio.Queue[Event]) -> StreamingResponse:
    async def events() -> AsyncIterator[bytes]:
        try:
            while True:
                event = await queue.get()
                yield event.encode()
                if event.ends_stream:
                    break
            yield DONE
        finally:
            hub.unsubscribe(run_id, queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
