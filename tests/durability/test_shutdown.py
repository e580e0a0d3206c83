"""SIGTERM is prompt whatever is under way, and ends the work as a restart would.

The server must exit within seconds while a file is being ingested, a streamed run
is open or code is executing: ingestion resumes at the next start, runs end
failed (their streams end with that event), and sandboxes are removed.
"""

from __future__ import annotations

import time

import pytest

from tests.helpers import documents
from tests.helpers.crash import (
    StreamWatcher,
    active_runs,
    owned_containers,
    start_code_execution,
    terminate_timed,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("embedding_model")  # one server here ingests a file

PROMPT_S = 5.0


def test_sigterm_during_ingestion_is_prompt_and_the_file_finishes_after_restart(make_server):
    srv = make_server()
    client = srv.client()
    store = client.vector_stores.create(name="big")
    # ~30k tokens: many seconds of embedding on two cores, which shutdown must not wait for.
    text = documents.filler(2000, 5) + " The harbour master keeps the brass key under the third step."
    big = client.files.create(file=("manual.txt", text.encode()), purpose="assistants")
    client.vector_stores.files.create(vector_store_id=store.id, file_id=big.id)
    time.sleep(3)  # parsed, and embedding
    assert client.vector_stores.files.retrieve(big.id, vector_store_id=store.id).status == "in_progress"
    took = terminate_timed(srv)
    assert took < PROMPT_S, f"shutdown took {took:.1f} s"
    assert "Traceback" not in srv.log()

    srv.start()
    client = srv.client()
    file = client.vector_stores.files.poll(big.id, vector_store_id=store.id, poll_interval_ms=250)
    assert file.status == "completed", file.last_error
    store = client.vector_stores.retrieve(store.id)
    assert (store.file_counts.completed, store.file_counts.in_progress, store.file_counts.total) == (1, 0, 1)
    hit = client.vector_stores.search(vector_store_id=store.id, query="where is the brass key kept").data[0]
    assert hit.file_id == big.id and "brass key" in hit.content[0].text


def test_sigterm_with_open_streams_is_prompt_and_ends_them(make_server, script):
    srv = make_server()
    client = srv.client()
    # Distinct words: litellm fails a stream that repeats one chunk too often.
    slow = client.beta.assistants.create(model=script({"text": " ".join(f"word{i}" for i in range(2000)),
                                                       "delay_ms": 25}))
    streams = [StreamWatcher(srv.client(), slow.id, f"stream {n}") for n in range(3)]
    wait_until(lambda: all(s.deltas() >= 3 for s in streams), what="every stream to be under way")
    took = terminate_timed(srv)
    assert took < PROMPT_S, f"shutdown took {took:.1f} s"
    for stream in streams:
        stream.join()
        assert stream.error is None  # ended cleanly, with the run's final event ...
        assert stream.events[-1] == "thread.run.failed"  # ... which says what a restart would say

    srv.start()
    client = srv.client()
    for stream in streams:
        run = client.beta.threads.runs.retrieve(thread_id=stream.thread_id, run_id=stream.run_id)
        assert run.status == "failed" and run.last_error.code == "server_error"
        assert "server stopped" in run.last_error.message
        message = client.beta.threads.messages.list(thread_id=stream.thread_id).data[0]
        assert message.role == "assistant" and message.status == "incomplete"
    assert active_runs(client, [s.thread_id for s in streams]) == []


@pytest.mark.usefixtures("sandbox_image")
def test_sigterm_during_code_execution_is_prompt_and_removes_the_sandbox(make_server, script):
    srv = make_server()
    _client, thread, run = start_code_execution(srv, script, "import time\ntime.sleep(300)")
    took = terminate_timed(srv)
    assert took < PROMPT_S, f"shutdown took {took:.1f} s"
    assert owned_containers(srv) == []

    srv.start()
    run = srv.client().beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    assert run.status == "failed" and run.last_error.code == "server_error"


def test_sigterm_ends_responses_as_a_restart_would(make_server, script):
    srv = make_server()
    client = srv.client()
    slow = script({"text": " ".join(f"word{i}" for i in range(2000)), "delay_ms": 25})
    background = client.responses.create(model=slow, input="go", background=True)
    stream = client.responses.create(model=slow, input="go", stream=True)
    seen = []
    for event in stream:
        seen.append(event.type)
        if seen.count("response.output_text.delta") == 3:
            break
    took = terminate_timed(srv)
    assert took < PROMPT_S, f"shutdown took {took:.1f} s"
    rest = [event for event in stream]
    assert rest[-1].type == "response.failed" and "server stopped" in rest[-1].response.error.message
    srv.start()
    client = srv.client()
    for response_id in (background.id, rest[-1].response.id):
        response = client.responses.retrieve(response_id)
        assert response.status == "failed" and response.error.code == "server_error"
