"""Streaming runs over SSE: exact event order, the SDK's event handler and stream helpers."""

from __future__ import annotations

import json

import httpx
from openai import AssistantEventHandler
from typing_extensions import override

TEXT = "Hello there, streaming world!"
WORDS = ["Hello", " there,", " streaming", " world!"]


class Recorder(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.text_deltas: list[str] = []
        self.tool_call_ids: list[str] = []

    @override
    def on_event(self, event) -> None:
        self.events.append(event.event)
        if event.event == "thread.run.requires_action":
            self.tool_call_ids = [c.id for c in event.data.required_action.submit_tool_outputs.tool_calls]

    @override
    def on_text_delta(self, delta, snapshot) -> None:
        self.text_deltas.append(delta.value)


def collapse(events: list[str]) -> list[str]:
    """Runs of the same delta event collapsed to one entry with a count."""
    out: list[str] = []
    for name in events:
        if out and name.endswith(".delta") and out[-1].split(" x")[0] == name:
            count = int(out[-1].split(" x")[1]) + 1 if " x" in out[-1] else 2
            out[-1] = f"{name} x{count}"
        else:
            out.append(name)
    return out


TEXT_RUN_EVENTS = [
    "thread.run.step.created", "thread.run.step.in_progress",
    "thread.message.created", "thread.message.in_progress", f"thread.message.delta x{len(WORDS)}",
    "thread.message.completed", "thread.run.step.completed", "thread.run.completed",
]


def test_stream_text_run_exact_events(client, script):
    assistant = client.beta.assistants.create(model=script({"text": TEXT}))
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    handler = Recorder()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id,
                                         event_handler=handler) as stream:
        stream.until_done()
        final_messages = stream.get_final_messages()
        final_run = stream.get_final_run()
    assert collapse(handler.events) == [
        "thread.run.created", "thread.run.queued", "thread.run.in_progress", *TEXT_RUN_EVENTS]
    assert handler.text_deltas == WORDS
    assert [m.content[0].text.value for m in final_messages] == [TEXT]
    assert final_run.status == "completed" and final_run.usage is not None
    stored = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert stored.id == final_messages[0].id and stored.content[0].text.value == TEXT


def test_stream_function_call_then_submit_tool_outputs_stream(client, script):
    model = script({"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}, {"text": TEXT})
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    assistant = client.beta.assistants.create(model=model, tools=tools)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "weather?"}])
    first = Recorder()
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id, event_handler=first) as s:
        s.until_done()
        run = s.get_final_run()
        steps = s.get_final_run_steps()
    assert collapse(first.events) == [
        "thread.run.created", "thread.run.queued", "thread.run.in_progress",
        "thread.run.step.created", "thread.run.step.in_progress", "thread.run.step.delta x2",
        "thread.run.requires_action",
    ]
    assert run.status == "requires_action" and len(first.tool_call_ids) == 1
    # The deltas accumulated by the SDK give back the whole call.
    call = steps[0].step_details.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        first.tool_call_ids[0], "get_weather", {"city": "Oslo"})

    second = Recorder()
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id, run_id=run.id, event_handler=second,
        tool_outputs=[{"tool_call_id": first.tool_call_ids[0], "output": "cold"}],
    ) as s:
        s.until_done()
    assert collapse(second.events) == [
        "thread.run.step.completed", "thread.run.queued", "thread.run.in_progress", *TEXT_RUN_EVENTS]
    assert "".join(second.text_deltas) == TEXT


def test_create_thread_and_run_stream_starts_with_thread_created(client, script):
    assistant = client.beta.assistants.create(model=script({"text": TEXT}))
    handler = Recorder()
    with client.beta.threads.create_and_run_stream(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hi"}]}, event_handler=handler,
    ) as stream:
        stream.until_done()
    assert collapse(handler.events)[:4] == [
        "thread.created", "thread.run.created", "thread.run.queued", "thread.run.in_progress"]
    assert handler.events[-1] == "thread.run.completed"


def test_raw_sse_framing(server, client, script):
    assistant = client.beta.assistants.create(model=script({"text": TEXT}))
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    with httpx.stream("POST", f"{server.base_url}/threads/{thread.id}/runs",
                      json={"assistant_id": assistant.id, "stream": True}, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = response.read().decode()
    frames = [f for f in body.split("\n\n") if f]
    assert frames[-1] == "event: done\ndata: [DONE]"
    parsed = []
    for frame in frames[:-1]:
        event_line, data_line = frame.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: ")
        parsed.append((event_line[7:], json.loads(data_line[6:])))
    deltas = [d for name, d in parsed if name == "thread.message.delta"]
    assert deltas[0] == {"id": deltas[0]["id"], "object": "thread.message.delta", "delta": {"content": [
        {"index": 0, "type": "text", "text": {"value": "Hello", "annotations": []}}]}}
    run_events = [d for name, d in parsed if name.startswith("thread.run.") and ".step." not in name]
    assert [d["status"] for d in run_events] == ["queued", "queued", "in_progress", "completed"]


def test_async_client_stream(server, script):
    import asyncio

    from openai import AsyncOpenAI

    async def main():
        client = AsyncOpenAI(base_url=server.base_url, api_key="k", max_retries=0)
        assistant = await client.beta.assistants.create(model=script({"text": TEXT}))
        thread = await client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
        async with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
            texts = [text async for text in stream.text_deltas]
        second = await client.beta.threads.create(messages=[{"role": "user", "content": "again"}])
        run = await client.beta.threads.runs.create_and_poll(thread_id=second.id, assistant_id=assistant.id)
        await client.close()
        return texts, run.status

    texts, status = asyncio.run(main())
    assert texts == WORDS and status == "completed"
