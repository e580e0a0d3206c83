"""SIGKILL mid-work, restart on the same data dir: nothing committed is lost, nothing stays in progress.

Each test kills the server (no cleanup runs) while something is under way: runs
streaming, a code_interpreter execution, a vector store ingesting. After the
restart, objects, file bytes and search results committed before the kill are
all there, interrupted runs are ended as restart recovery ends them (failed, or
cancelled when they were cancelling), ingestion finishes with exact counts, and
the killed server's containers are gone.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from tests.helpers import documents
from tests.helpers.code_interpreter import ci_assistant, code_call
from tests.helpers.crash import StreamWatcher, active_runs, owned_containers, start_code_execution, wait_until
from tests.helpers.documents import named

pytestmark = pytest.mark.usefixtures("embedding_model")  # some servers here ingest files

FUNCTION = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}


def search_snapshot(client, store_id: str, query: str) -> list[tuple]:
    return [(r.file_id, round(r.score, 6), r.content[0].text)
            for r in client.vector_stores.search(vector_store_id=store_id, query=query).data]


def committed_state(client, store_id: str, thread_id: str, file_id: str) -> dict:
    """What must read the same after the crash: objects, bytes, search results."""
    return {
        "assistants": sorted(a.id for a in client.beta.assistants.list(limit=100).data),
        "messages": [m.model_dump() for m in client.beta.threads.messages.list(thread_id=thread_id).data],
        "bytes": client.files.content(file_id).read(),
        "store": client.vector_stores.retrieve(store_id).model_dump(exclude={"last_active_at", "expires_at"}),
        "search": search_snapshot(client, store_id, "when is high tide at Port Ellis"),
    }


def test_sigkill_while_runs_stream(make_server, script):
    srv = make_server()
    client = srv.client()
    kept = client.files.create(file=("keep.bin", bytes(range(256)) * 64), purpose="assistants")
    store = client.vector_stores.create(name="kept")
    tides = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("tides.txt", b"High tide at Port Ellis is at 6:40 in the morning."))
    assert tides.status == "completed"
    finished = client.beta.assistants.create(model=script({"text": "Finished before the crash."}))
    done_thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    done = client.beta.threads.runs.create_and_poll(thread_id=done_thread.id, assistant_id=finished.id)
    assert done.status == "completed"
    asks = client.beta.assistants.create(model=script({"tool_calls": [{"name": "lookup"}]}, {"text": "Found it."}),
                                         tools=[FUNCTION])
    waiting = client.beta.threads.create_and_run_poll(
        assistant_id=asks.id, thread={"messages": [{"role": "user", "content": "look it up"}]})
    assert waiting.status == "requires_action"
    # Distinct words: litellm fails a stream that repeats one chunk too often.
    slow = client.beta.assistants.create(model=script({"text": " ".join(f"word{i}" for i in range(400)),
                                                       "delay_ms": 25}))
    before = committed_state(client, store.id, done_thread.id, kept.id)

    streams = [StreamWatcher(srv.client(), slow.id, f"stream {n}") for n in range(4)]
    wait_until(lambda: all(s.deltas() >= 3 for s in streams), what="every stream to be under way")
    srv.stop(kill=True)
    for stream in streams:
        stream.join()
        assert stream.error is not None  # the connection broke: nothing ended the stream cleanly
    srv.start()
    client = srv.client()

    assert committed_state(client, store.id, done_thread.id, kept.id) == before
    for stream in streams:
        run = client.beta.threads.runs.retrieve(thread_id=stream.thread_id, run_id=stream.run_id)
        assert run.status == "failed" and run.last_error.code == "server_error", run
        message = client.beta.threads.messages.list(thread_id=stream.thread_id).data[0]
        assert message.role == "assistant" and message.status == "incomplete"
        steps = client.beta.threads.runs.steps.list(thread_id=stream.thread_id, run_id=stream.run_id).data
        assert steps and all(s.status != "in_progress" for s in steps)
    threads = [s.thread_id for s in streams] + [done_thread.id, waiting.thread_id]
    # The run waiting for tool outputs waits for the client, not the server: it survives, still resumable.
    assert active_runs(client, threads) == [(waiting.id, "requires_action")]
    call = waiting.required_action.submit_tool_outputs.tool_calls[0]
    resumed = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=waiting.thread_id, run_id=waiting.id, tool_outputs=[{"tool_call_id": call.id, "output": "ok"}])
    assert resumed.status == "completed", resumed.last_error


@pytest.mark.usefixtures("sandbox_image")
def test_sigkill_during_code_execution(make_server, script):
    srv = make_server()
    sleeper = "import time\nprint('started', flush=True)\ntime.sleep(300)"
    client, thread, run = start_code_execution(srv, script, sleeper)
    before = set(owned_containers(srv))
    srv.stop(kill=True)
    assert before <= set(owned_containers(srv))  # a crash leaves its containers behind...
    srv.start()
    assert not before & set(owned_containers(srv))  # ...and the next start removes them
    client = srv.client()
    run = client.beta.threads.runs.retrieve(thread_id=thread.id, run_id=run.id)
    assert run.status == "failed" and run.last_error.code == "server_error"
    steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
    assert all(s.status != "in_progress" for s in steps)
    assert active_runs(client, [thread.id]) == []
    # The thread works again, in a fresh sandbox.
    again = ci_assistant(client, script({"when": {"contains": "again"}, **code_call("print(6 * 7)")},
                                        {"when": {"role": "tool"}, "text": "42"}))
    client.beta.threads.messages.create(thread_id=thread.id, role="user", content="again")
    rerun = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=again.id)
    assert rerun.status == "completed", rerun.last_error


def test_sigkill_while_a_vector_store_ingests(make_server):
    srv = make_server()
    client = srv.client()
    store = client.vector_stores.create(name="ingesting")
    tides = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("tides.txt", b"High tide at Port Ellis is at 6:40 in the morning."))
    before = search_snapshot(client, store.id, "when is high tide at Port Ellis")
    facts = ["The lighthouse keeper on Gull Rock polishes the brass lamp every night.",
             "Miners in the copper mine at Red Hill found a seam of pure malachite.",
             "The chess club meets in the library basement on Thursday evenings.",
             "The last ferry to Skerry Island leaves the pier at ten past seven."]
    uploads = [client.files.create(file=(f"doc{n}.txt", f"{documents.filler(400, n)} {fact}".encode()),
                                   purpose="assistants") for n, fact in enumerate(facts)]
    batch = client.vector_stores.file_batches.create(vector_store_id=store.id, file_ids=[u.id for u in uploads])
    time.sleep(1.5)  # ingestion under way: parsing or embedding the batch
    assert client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id).status == "in_progress"
    srv.stop(kill=True)
    srv.start()
    client = srv.client()

    batch = client.vector_stores.file_batches.poll(batch.id, vector_store_id=store.id, poll_interval_ms=200)
    assert batch.status == "completed"
    counts = batch.file_counts
    assert (counts.completed, counts.in_progress, counts.failed, counts.cancelled, counts.total) == (4, 0, 0, 0, 4)
    store = client.vector_stores.retrieve(store.id)
    assert store.status == "completed"
    assert (store.file_counts.completed, store.file_counts.in_progress, store.file_counts.total) == (5, 0, 5)
    files = client.vector_stores.files.list(vector_store_id=store.id, limit=100).data
    assert {f.id for f in files} == {tides.id, *(u.id for u in uploads)}
    assert all(f.status == "completed" for f in files)
    assert store.usage_bytes == sum(f.usage_bytes for f in files)
    top = search_snapshot(client, store.id, "when is high tide at Port Ellis")[0]
    assert (top[0], top[2]) == (before[0][0], before[0][2])  # the score moves: the keyword statistics grew
    for upload, fact in zip(uploads, facts):  # each file's chunks are there, in both halves of the index
        assert client.vector_stores.search(vector_store_id=store.id, query=fact).data[0].file_id == upload.id
        keyword_only = client.vector_stores.search(vector_store_id=store.id, query=fact, ranking_options={
            "hybrid_search": {"embedding_weight": 0, "text_weight": 1}}).data
        assert keyword_only[0].file_id == upload.id


def test_restart_recounts_what_a_kill_left_half_written(make_server):
    """A kill can fall between a file's status and its store's counts (separate writes): simulated here by
    writing stale counts into the stopped server's database; the next start recounts them from the files."""
    srv = make_server()
    client = srv.client()
    store = client.vector_stores.create(name="recount")
    batch = client.vector_stores.file_batches.upload_and_poll(
        vector_store_id=store.id, files=[named("a.txt", b"alpha facts"), named("b.txt", b"beta facts")])
    good = client.vector_stores.retrieve(store.id)
    assert batch.status == "completed" and good.file_counts.completed == 2
    srv.stop(kill=True)
    stale = {"in_progress": 1, "completed": 1, "failed": 0, "cancelled": 0, "total": 2}
    with sqlite3.connect(srv.data_dir / "emulator.db") as db:
        for table, object_id in (("vector_stores", store.id), ("vector_store_file_batches", batch.id)):
            data = json.loads(db.execute(f"SELECT data FROM {table} WHERE id = ?", (object_id,)).fetchone()[0])
            data.update(status="in_progress", file_counts=stale)
            if table == "vector_stores":
                data["usage_bytes"] = 1
            db.execute(f"UPDATE {table} SET data = ?, status = 'in_progress' WHERE id = ?",
                       (json.dumps(data), object_id))
    srv.start()
    client = srv.client()
    store = client.vector_stores.retrieve(store.id)
    assert store.status == "completed"
    assert store.file_counts == good.file_counts and store.usage_bytes == good.usage_bytes
    batch = client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id)
    assert batch.status == "completed" and batch.file_counts.completed == 2 and batch.file_counts.in_progress == 0
