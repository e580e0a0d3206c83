"""Everything survives a restart; runs interrupted by a stop end failed, never stuck in progress."""

from __future__ import annotations

import time


def test_state_survives_restart(make_server, script):
    srv = make_server()
    client = srv.client()
    model = script({"tool_calls": [{"name": "f"}]}, {"text": "after restart"})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "function", "function": {"name": "f"}}])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    uploaded = client.files.create(file=("keep.txt", b"kept bytes"), purpose="assistants")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"

    srv.restart()
    client = srv.client()
    assert client.beta.assistants.retrieve(assistant.id).model == model
    assert client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value == "hi"
    assert client.files.content(uploaded.id).read() == b"kept bytes"
    # A run waiting on the client survives, and can be completed after the restart.
    run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    assert run.status == "requires_action"
    call_id = run.required_action.submit_tool_outputs.tool_calls[0].id
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call_id, "output": "ok"}])
    assert run.status == "completed"
    assert client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text.value == "after restart"


def test_run_in_flight_at_stop_is_failed_at_startup(make_server, script):
    srv = make_server()
    client = srv.client()
    model = script({"text": " ".join(["slow"] * 500), "delay_ms": 20})
    assistant = client.beta.assistants.create(model=model)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    deadline = time.monotonic() + 30  # the first run may wait for the server to finish importing litellm
    while client.beta.threads.messages.list(thread_id=thread.id).data[0].role != "assistant":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    srv.stop(kill=True)  # a crash: nothing gets to clean up
    srv.start()
    client = srv.client()
    run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    assert run.status == "failed" and run.last_error.code == "server_error"
    assert "server stopped" in run.last_error.message
    message = client.beta.threads.messages.list(thread_id=thread.id).data[0]
    assert message.status == "incomplete" and message.incomplete_details.reason == "run_failed"
    # The thread is usable again.
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="again")
