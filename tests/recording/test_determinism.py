"""Deterministic mode: the same requests give the same bytes, and time moves only when a test moves it."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.helpers.wire_log import WireLog

DETERMINISTIC = {"deterministic": True, "seed": 42}


def overlapping_runs(client, model: str, pause_s: float) -> None:
    """Two runs executing while the client creates more objects; `pause_s` shifts who goes first."""
    tools = [{"type": "function", "function": {"name": "lookup"}}]
    assistant = client.beta.assistants.create(model=model, tools=tools)
    threads = [client.beta.threads.create(messages=[{"role": "user", "content": f"question {n}"}]) for n in (1, 2)]
    runs = [client.beta.threads.runs.create(thread_id=t.id, assistant_id=assistant.id) for t in threads]
    time.sleep(pause_s)  # no request: only the timing changes
    client.beta.threads.create(messages=[{"role": "user", "content": "made while the runs execute"}])
    client.files.create(file=("notes.txt", b"notes"), purpose="assistants")
    for thread, run in zip(threads, runs):
        run = client.beta.threads.runs.poll(thread_id=thread.id, run_id=run.id)
        call = run.required_action.submit_tool_outputs.tool_calls[0]
        client.beta.threads.runs.submit_tool_outputs_and_poll(
            thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "42"}])
        client.beta.threads.messages.list(thread_id=thread.id)
        client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id)


def test_same_requests_same_bytes_whatever_the_timing_of_concurrent_runs(controlled_server, script):
    # The runs make messages, steps and call ids while the client makes threads, messages and files.
    model = script({"text": "Looking it up.", "tool_calls": [{"name": "lookup", "arguments": {"q": "x"}}],
                    "delay_ms": 100}, {"text": "The answer is 42."})
    logs = []
    for pause_s in (0, 1.5):
        controlled_server.reset(**DETERMINISTIC)
        wire = WireLog()
        overlapping_runs(controlled_server.client(http_client=wire.client()), model, pause_s)
        logs.append(wire.exchanges)
    assert logs[0] == logs[1]
    assert not any(name.lower() == "date" for e in logs[0] for name, _ in e.headers)


def test_seed_changes_ids_and_timestamps_come_from_the_fixed_clock(controlled_server):
    client = controlled_server.client()
    controlled_server.reset(**DETERMINISTIC)
    first = client.beta.assistants.create(model="scripted/echo")
    controlled_server.reset(deterministic=True, seed=43)
    other = client.beta.assistants.create(model="scripted/echo")
    assert first.id != other.id and first.id.startswith("asst_") and len(first.id) == len("asst_") + 24
    assert first.created_at == other.created_at == 1_735_689_600


def test_waiting_run_expires_when_the_test_moves_the_clock(controlled_server, script):
    server = controlled_server
    server.reset(**DETERMINISTIC)
    client = server.client()
    model = script({"tool_calls": [{"name": "f"}]})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "function", "function": {"name": "f"}}])
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id, thread={"messages": [{"role": "user", "content": "hi"}]})
    assert run.status == "requires_action" and run.expires_at == server.now() + 600
    assert server.advance_clock(599) == 1_735_689_600 + 599
    assert client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id).status == "requires_action"
    server.advance_clock(1)  # the deadline: expired at once, no sweep to wait for
    run = client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id)
    assert run.status == "expired" and run.expires_at is None


def test_a_plain_retrieve_answers_with_the_settled_run(controlled_server, script):
    controlled_server.reset(**DETERMINISTIC)
    client = controlled_server.client()
    assistant = client.beta.assistants.create(model=script({"text": "a slow answer", "delay_ms": 100}))
    run = client.beta.threads.create_and_run(assistant_id=assistant.id,
                                             thread={"messages": [{"role": "user", "content": "hi"}]})
    assert run.status == "queued"
    # A hand-written polling loop gets the same answers on every run: the first read waits for the end.
    assert client.beta.threads.runs.retrieve(thread_id=run.thread_id, run_id=run.id).status == "completed"


def test_reset_starts_blank_and_only_with_test_controls(controlled_server, server):
    client = controlled_server.client()
    controlled_server.reset()
    client.beta.assistants.create(model="scripted/echo")
    assert controlled_server.reset()["deterministic"] is False
    assert client.beta.assistants.list().data == []
    with pytest.raises(RuntimeError, match="Unknown setting"):
        controlled_server.reset(port=1)
    with pytest.raises(RuntimeError, match="cannot read cassette"):
        controlled_server.reset(replay="/nonexistent/cassette.yaml")
    with pytest.raises(RuntimeError, match="Test controls are off"):
        server.reset()


def test_real_time_clock_cannot_be_moved(server):
    with pytest.raises(RuntimeError, match="only in deterministic mode"):
        server.advance_clock(10)
    response = httpx.post(f"{server.control_url}/clock", json={"advance_s": "soon"})
    assert response.status_code == 400
    assert response.json()["error"] == {"message": "'advance_s' must be a non-negative integer.",
                                        "type": "invalid_request_error", "param": "advance_s", "code": None}
