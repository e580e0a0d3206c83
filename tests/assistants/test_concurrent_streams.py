"""Load: 40 clients streaming runs at once against one server; none may fail, no message may go missing.

(`bench/concurrent_streams.py` is the longer version, with latency figures.)
"""

from __future__ import annotations

import asyncio

from openai import AsyncOpenAI

CLIENTS = 40
ANSWER = "Streamed under load: every word of this answer arrives, in order, and is kept."


async def one_client(base_url: str, assistant_id: str, number: int) -> tuple[str, str]:
    """Create a thread and stream a run on it; (thread id, the run's final event)."""
    async with AsyncOpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=120) as client:
        thread = await client.beta.threads.create(messages=[{"role": "user", "content": f"client {number}"}])
        last = None
        stream = await client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id, stream=True)
        async for event in stream:
            last = event.event
        return thread.id, last


async def all_clients(base_url: str, assistant_id: str) -> list:
    return await asyncio.gather(*(one_client(base_url, assistant_id, n) for n in range(CLIENTS)),
                                return_exceptions=True)


def test_forty_concurrent_streamed_runs(server, script):
    client = server.client()
    assistant = client.beta.assistants.create(model=script({"text": ANSWER}))
    results = asyncio.run(all_clients(server.base_url, assistant.id))
    failures = [r for r in results if isinstance(r, BaseException) or r[1] != "thread.run.completed"]
    assert failures == []
    for number, (thread_id, _last) in enumerate(results):
        messages = client.beta.threads.messages.list(thread_id=thread_id, order="asc").data
        assert [m.role for m in messages] == ["user", "assistant"]
        assert messages[0].content[0].text.value == f"client {number}"
        assert messages[1].content[0].text.value == ANSWER and messages[1].status == "completed"
