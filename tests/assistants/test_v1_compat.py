"""Assistants API v1 (`OpenAI-Beta: assistants=v1`): retrieval, file_ids and the files endpoints, over v2."""

from __future__ import annotations

import io
import json
import time

import httpx
import pytest

FACT = "The Kestrel project budget for 2025 is 3.1 million dollars."


@pytest.fixture
def v1(server):
    with httpx.Client(base_url=server.base_url, headers={"OpenAI-Beta": "assistants=v1",
                                                         "Authorization": "Bearer x"}, timeout=60) as http:
        yield http


@pytest.fixture
def v2(server):
    with httpx.Client(base_url=server.base_url, headers={"OpenAI-Beta": "assistants=v2",
                                                         "Authorization": "Bearer x"}, timeout=60) as http:
        yield http


def upload(client, name: str, text: str) -> str:
    stream = io.BytesIO(text.encode())
    stream.name = name
    return client.files.create(file=stream, purpose="assistants").id


def ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def poll(v1, thread_id: str, run_id: str) -> dict:
    for _ in range(300):
        run = ok(v1.get(f"/threads/{thread_id}/runs/{run_id}"))
        if run["status"] not in ("queued", "in_progress", "cancelling"):
            return run
        time.sleep(0.1)
    raise AssertionError("run did not finish")


def test_assistant_with_retrieval_and_file_ids_in_v1_shape(v1, client):
    file_id = upload(client, "kestrel.txt", FACT)
    created = ok(v1.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "retrieval"}],
                                              "file_ids": [file_id]}))
    assert created["tools"] == [{"type": "retrieval"}]
    assert created["file_ids"] == [file_id]
    assert "tool_resources" not in created
    # Under v2 the same assistant searches an automatic vector store holding the file.
    as_v2 = client.beta.assistants.retrieve(created["id"])
    assert as_v2.tools[0].type == "file_search"
    (store_id,) = as_v2.tool_resources.file_search.vector_store_ids
    assert [f.id for f in client.vector_stores.files.list(store_id)] == [file_id]
    # Retrieve and list answer in v1 shape too.
    assert ok(v1.get(f"/assistants/{created['id']}"))["file_ids"] == [file_id]
    listed = ok(v1.get("/assistants", params={"limit": 100}))
    mine = next(a for a in listed["data"] if a["id"] == created["id"])
    assert mine["tools"] == [{"type": "retrieval"}] and mine["file_ids"] == [file_id]


def test_code_interpreter_file_ids_and_modify(v1, client):
    a, b = upload(client, "a.csv", "x\n1\n"), upload(client, "b.txt", FACT)
    created = ok(v1.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "code_interpreter"}],
                                              "file_ids": [a]}))
    assert created["file_ids"] == [a]
    assert client.beta.assistants.retrieve(created["id"]).tool_resources.code_interpreter.file_ids == [a]
    modified = ok(v1.post(f"/assistants/{created['id']}", json={
        "tools": [{"type": "code_interpreter"}, {"type": "retrieval"}], "file_ids": [a, b]}))
    assert modified["tools"] == [{"type": "code_interpreter"}, {"type": "retrieval"}]
    assert modified["file_ids"] == [a, b]
    resources = client.beta.assistants.retrieve(created["id"]).tool_resources
    assert resources.code_interpreter.file_ids == [a, b] and len(resources.file_search.vector_store_ids) == 1


def test_run_with_retrieval_shows_a_retrieval_step(v1, client, script):
    file_id = upload(client, "kestrel.txt", FACT)
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["Kestrel budget"]}}]},
                   {"when": {"role": "tool"}, "text": "3.1 million dollars."})
    assistant = ok(v1.post("/assistants", json={"model": model, "tools": [{"type": "retrieval"}],
                                                "file_ids": [file_id]}))
    thread = ok(v1.post("/threads", json={"messages": [{"role": "user", "content": "Budget?"}]}))
    assert "tool_resources" not in thread
    run = ok(v1.post(f"/threads/{thread['id']}/runs", json={"assistant_id": assistant["id"]}))
    assert run["tools"] == [{"type": "retrieval"}] and run["file_ids"] == [file_id]
    run = poll(v1, thread["id"], run["id"])
    assert run["status"] == "completed", run
    steps = ok(v1.get(f"/threads/{thread['id']}/runs/{run['id']}/steps", params={"order": "asc"}))["data"]
    (call,) = steps[0]["step_details"]["tool_calls"]
    assert call["type"] == "retrieval" and call["retrieval"] == {} and call["id"]
    messages = ok(v1.get(f"/threads/{thread['id']}/messages"))["data"]
    assert messages[0]["content"][0]["text"]["value"] == "3.1 million dollars."
    assert messages[0]["file_ids"] == [] and "attachments" not in messages[0]


def test_create_thread_and_run_maps_tools_and_message_files(v1, client, script):
    file_id = upload(client, "kestrel.txt", FACT)
    model = script({"text": "done"})
    assistant = ok(v1.post("/assistants", json={"model": model}))
    run = ok(v1.post("/threads/runs", json={
        "assistant_id": assistant["id"], "tools": [{"type": "retrieval"}],
        "thread": {"messages": [{"role": "user", "content": "Read this", "file_ids": [file_id]}]}}))
    assert run["tools"] == [{"type": "retrieval"}]
    run = poll(v1, run["thread_id"], run["id"])
    assert run["status"] == "completed", run
    user = ok(v1.get(f"/threads/{run['thread_id']}/messages", params={"order": "asc"}))["data"][0]
    assert user["file_ids"] == [file_id]


def test_message_file_ids_round_trip_and_message_files(v1, client):
    file_id = upload(client, "notes.txt", FACT)
    thread = ok(v1.post("/threads", json={}))
    message = ok(v1.post(f"/threads/{thread['id']}/messages", json={"role": "user", "content": "See file",
                                                                  "file_ids": [file_id]}))
    assert message["file_ids"] == [file_id] and "attachments" not in message
    assert ok(v1.get(f"/threads/{thread['id']}/messages/{message['id']}"))["file_ids"] == [file_id]
    as_v2 = client.beta.threads.messages.retrieve(message["id"], thread_id=thread["id"])
    assert {t.type for t in as_v2.attachments[0].tools} == {"file_search", "code_interpreter"}
    files = ok(v1.get(f"/threads/{thread['id']}/messages/{message['id']}/files"))
    assert files["object"] == "list"
    assert [(f["id"], f["object"], f["message_id"]) for f in files["data"]] == [
        (file_id, "thread.message.file", message["id"])]
    one = ok(v1.get(f"/threads/{thread['id']}/messages/{message['id']}/files/{file_id}"))
    assert one["id"] == file_id and one["created_at"] == message["created_at"]
    missing = v1.get(f"/threads/{thread['id']}/messages/{message['id']}/files/file-nope")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "invalid_request_error"
    assert v1.get(f"/threads/{thread['id']}/messages/msg_nope/files").status_code == 404
    assert v1.get(f"/threads/thread_nope/messages/{message['id']}/files").status_code == 404


def test_assistant_files_endpoints(v1, client):
    a, b = upload(client, "a.txt", FACT), upload(client, "b.txt", "Another document about herons.")
    assistant = ok(v1.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "retrieval"}]}))
    aid = assistant["id"]
    assert assistant["file_ids"] == []
    attached = ok(v1.post(f"/assistants/{aid}/files", json={"file_id": a}))
    assert attached["id"] == a and attached["object"] == "assistant.file" and attached["assistant_id"] == aid
    ok(v1.post(f"/assistants/{aid}/files", json={"file_id": b}))
    listed = ok(v1.get(f"/assistants/{aid}/files", params={"order": "asc"}))
    assert [f["id"] for f in listed["data"]] == [a, b] and listed["has_more"] is False
    assert ok(v1.get(f"/assistants/{aid}/files", params={"limit": 1, "order": "asc"}))["has_more"] is True
    assert ok(v1.get(f"/assistants/{aid}/files/{b}"))["object"] == "assistant.file"
    assert ok(v1.get(f"/assistants/{aid}"))["file_ids"] == [a, b]
    (store_id,) = client.beta.assistants.retrieve(aid).tool_resources.file_search.vector_store_ids
    assert {f.id for f in client.vector_stores.files.list(store_id)} == {a, b}

    deleted = ok(v1.delete(f"/assistants/{aid}/files/{a}"))
    assert deleted == {"id": a, "object": "assistant.file.deleted", "deleted": True}
    assert ok(v1.get(f"/assistants/{aid}"))["file_ids"] == [b]
    assert v1.get(f"/assistants/{aid}/files/{a}").status_code == 404


def test_bad_ids_are_404_and_bad_files_400(v1):
    for response in (v1.get("/assistants/asst_nope/files"), v1.post("/assistants/asst_nope/files",
                                                                     json={"file_id": "file-x"}),
                     v1.delete("/assistants/asst_nope/files/file-x"), v1.get("/assistants/asst_nope")):
        assert response.status_code == 404, response.text
        assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assistant = ok(v1.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "code_interpreter"}]}))
    bad = v1.post(f"/assistants/{assistant['id']}/files", json={"file_id": "file-nope"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "file_id"
    assert v1.post(f"/assistants/{assistant['id']}/files", json={}).status_code == 400
    assert v1.delete(f"/assistants/{assistant['id']}/files/file-nope").status_code == 404
    bad = v1.post("/assistants", json={"model": "gpt-4o", "file_ids": "file-x"})
    assert bad.status_code == 400 and bad.json()["error"]["param"] == "file_ids"
    bad = v1.post("/assistants", json={"model": "gpt-4o", "file_ids": ["file-nope"]})
    assert bad.status_code == 400
    assert v1.put(f"/assistants/{assistant['id']}/files").status_code == 405


def test_v2_requests_are_unaffected(v2):
    created = ok(v2.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "file_search"}]}))
    assert created["tools"][0]["type"] == "file_search" and "file_ids" not in created
    assert "tool_resources" in created
    rejected = v2.post("/assistants", json={"model": "gpt-4o", "tools": [{"type": "retrieval"}]})
    assert rejected.status_code == 400
    assert v2.get(f"/assistants/{created['id']}/files").status_code == 404  # no such URL in v2


def test_streamed_run_events_are_in_v1_shape(v1, client, script):
    file_id = upload(client, "kestrel.txt", FACT)
    model = script({"tool_calls": [{"name": "file_search", "arguments": {"queries": ["Kestrel budget"]}}]},
                   {"when": {"role": "tool"}, "text": "3.1 million dollars."})
    assistant = ok(v1.post("/assistants", json={"model": model, "tools": [{"type": "retrieval"}],
                                                "file_ids": [file_id]}))
    events = []
    with v1.stream("POST", "/threads/runs", json={
            "assistant_id": assistant["id"], "stream": True,
            "thread": {"messages": [{"role": "user", "content": "Budget?"}]}}) as response:
        assert response.status_code == 200
        event = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and line[6:].startswith("{"):
                events.append((event, json.loads(line[6:])))
    names = [name for name, _ in events]
    assert "thread.run.completed" in names
    for name, data in events:
        if name.startswith("thread.run.step") and name != "thread.run.step.delta":
            for call in (data.get("step_details") or {}).get("tool_calls") or []:
                assert call["type"] == "retrieval"
        if name.startswith("thread.run.") and not name.startswith("thread.run.step"):
            assert data["tools"] == [{"type": "retrieval"}] and data["file_ids"] == [file_id]
        if name in ("thread.message.created", "thread.message.completed"):
            assert "file_ids" in data and "attachments" not in data
    assert any(call["type"] == "retrieval" for name, data in events if name == "thread.run.step.completed"
               for call in data["step_details"].get("tool_calls") or [])


def test_azure_prefix_and_assistant_without_tools(server, client):
    file_id = upload(client, "plain.txt", FACT)
    with httpx.Client(base_url=server.base_url.replace("/v1", "/openai"), timeout=60,
                      headers={"OpenAI-Beta": "assistants=v1", "api-key": "x"}) as azure:
        created = ok(azure.post("/assistants", json={"model": "gpt-4o", "file_ids": [file_id]}))
        assert created["file_ids"] == [file_id] and created["tools"] == []
        assert [f["id"] for f in ok(azure.get(f"/assistants/{created['id']}/files"))["data"]] == [file_id]
