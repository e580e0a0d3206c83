"""file_search state survives restarts: indexed files stay searchable, interrupted ingestion resumes."""

from __future__ import annotations

import time

from tests.helpers import documents
from tests.helpers.documents import named
from tests.helpers.openapi_spec import Raw


def test_index_survives_restart_and_interrupted_ingestion_resumes(make_server, script):
    srv = make_server()
    client = srv.client()
    store = client.vector_stores.create(name="durable")
    done = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=named("tides.txt", b"High tide at Port Ellis is at 6:40 in the morning."))
    assert done.status == "completed"
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["high tide"]}}]},
                   {"when": {"role": "tool"}, "text": "At 6:40 【0:0†tides.txt】."})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "file_search"}],
                                              tool_resources={"file_search": {"vector_store_ids": [store.id]}})

    srv.restart()
    client = srv.client()
    results = client.vector_stores.search(vector_store_id=store.id, query="when is high tide?").data
    assert results[0].file_id == done.id
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "Tide?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed", run.last_error
    text = client.beta.threads.messages.list(thread_id=thread.id).data[0].content[0].text
    assert text.annotations[0].file_citation.file_id == done.id

    # A crash while a file is being ingested: at the next start the file is ingested again.
    big = client.files.create(file=("almanac.txt", documents.filler(1500, 77).encode() +
                                    b" The almanac predicts a mild winter."), purpose="assistants")
    pending = client.vector_stores.files.create(vector_store_id=store.id, file_id=big.id)
    assert pending.status == "in_progress"
    srv.stop(kill=True)
    srv.start()
    client = srv.client()
    file = client.vector_stores.files.poll(big.id, vector_store_id=store.id)
    assert file.status == "completed", file.last_error
    store = client.vector_stores.retrieve(store.id)
    assert (store.file_counts.completed, store.file_counts.in_progress, store.status) == (2, 0, "completed")
    assert client.vector_stores.search(vector_store_id=store.id, query="mild winter almanac").data[0].file_id == big.id


def test_vector_store_objects_match_the_spec(server, client):
    raw = Raw(server)
    uploaded = client.files.create(file=("spec.txt", b"Objects shaped as the OpenAPI spec says."), purpose="assistants")
    store = raw("POST", "/vector_stores", "VectorStoreObject", json={"name": "spec", "file_ids": [uploaded.id],
                                                                     "metadata": {"a": "b"}})
    client.vector_stores.files.poll(uploaded.id, vector_store_id=store["id"])
    raw("GET", f"/vector_stores/{store['id']}", "VectorStoreObject")
    raw("POST", f"/vector_stores/{store['id']}", "VectorStoreObject", json={"name": "renamed"})
    raw("GET", "/vector_stores", "ListVectorStoresResponse")
    raw("GET", f"/vector_stores/{store['id']}/files/{uploaded.id}", "VectorStoreFileObject")
    raw("POST", f"/vector_stores/{store['id']}/files/{uploaded.id}", "VectorStoreFileObject",
        json={"attributes": {"k": "v", "n": 1, "b": True}})
    raw("GET", f"/vector_stores/{store['id']}/files", "ListVectorStoreFilesResponse")
    raw("GET", f"/vector_stores/{store['id']}/files/{uploaded.id}/content", "VectorStoreFileContentResponse")
    raw("POST", f"/vector_stores/{store['id']}/search", "VectorStoreSearchResultsPage", json={"query": "spec"})
    batch = raw("POST", f"/vector_stores/{store['id']}/file_batches", "VectorStoreFileBatchObject",
                json={"files": [{"file_id": uploaded.id, "attributes": {"x": "y"}}]})
    deadline = time.monotonic() + 60
    while batch["status"] == "in_progress" and time.monotonic() < deadline:
        batch = raw("GET", f"/vector_stores/{store['id']}/file_batches/{batch['id']}", "VectorStoreFileBatchObject")
    assert batch["status"] == "completed"
    raw("GET", f"/vector_stores/{store['id']}/file_batches/{batch['id']}/files", "ListVectorStoreFilesResponse")
    raw("DELETE", f"/vector_stores/{store['id']}/files/{uploaded.id}", "DeleteVectorStoreFileResponse")
    raw("DELETE", f"/vector_stores/{store['id']}", "DeleteVectorStoreResponse")
