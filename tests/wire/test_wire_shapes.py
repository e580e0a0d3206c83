"""Every response body validated against the official OpenAPI spec's schemas."""

from __future__ import annotations

import json

import httpx

from tests.helpers.openapi_spec import Raw, assert_matches


def test_every_object_matches_the_spec(server, script, client):
    raw = Raw(server)
    model = script({"tool_calls": [{"name": "f", "arguments": {"x": 1}}]}, {"text": "done"})
    tool = {"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}
    assistant = raw("POST", "/assistants", "AssistantObject",
                    json={"model": model, "name": "n", "tools": [tool], "metadata": {"a": "b"}})
    raw("GET", f"/assistants/{assistant['id']}", "AssistantObject")
    raw("POST", f"/assistants/{assistant['id']}", "AssistantObject", json={"description": "desc"})
    raw("GET", "/assistants", "ListAssistantsResponse")
    thread = raw("POST", "/threads", "ThreadObject", json={"messages": [{"role": "user", "content": "hi"}]})
    raw("POST", f"/threads/{thread['id']}", "ThreadObject", json={"metadata": {"k": "v"}})
    message = raw("POST", f"/threads/{thread['id']}/messages", "MessageObject", json={
        "role": "user", "content": [{"type": "text", "text": "parts"},
                                    {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]})
    raw("GET", f"/threads/{thread['id']}/messages/{message['id']}", "MessageObject")
    run = raw("POST", f"/threads/{thread['id']}/runs", "RunObject", json={"assistant_id": assistant["id"]})
    run = client.beta.threads.runs.poll(thread_id=thread["id"], run_id=run["id"])
    assert run.status == "requires_action"
    waiting = raw("GET", f"/threads/{thread['id']}/runs/{run.id}", "RunObject")
    call_id = waiting["required_action"]["submit_tool_outputs"]["tool_calls"][0]["id"]
    raw("POST", f"/threads/{thread['id']}/runs/{run.id}/submit_tool_outputs", "RunObject",
        json={"tool_outputs": [{"tool_call_id": call_id, "output": "1"}]})
    assert client.beta.threads.runs.poll(thread_id=thread["id"], run_id=run.id).status == "completed"
    raw("GET", f"/threads/{thread['id']}/runs/{run.id}", "RunObject")
    raw("GET", f"/threads/{thread['id']}/runs", "ListRunsResponse")
    steps = raw("GET", f"/threads/{thread['id']}/runs/{run.id}/steps", "ListRunStepsResponse")
    for step in steps["data"]:
        raw("GET", f"/threads/{thread['id']}/runs/{run.id}/steps/{step['id']}", "RunStepObject")
    raw("GET", f"/threads/{thread['id']}/messages", "ListMessagesResponse")
    raw("GET", f"/threads/{thread['id']}/messages?run_id=nope", "ListMessagesResponse")
    upload = raw("POST", "/files", "OpenAIFile", files={"file": ("a.txt", b"abc")}, data={"purpose": "assistants"})
    raw("GET", f"/files/{upload['id']}", "OpenAIFile")
    raw("GET", "/files", "ListFilesResponse")
    raw("DELETE", f"/files/{upload['id']}", "DeleteFileResponse")
    raw("DELETE", f"/threads/{thread['id']}/messages/{message['id']}", "DeleteMessageResponse")
    raw("DELETE", f"/threads/{thread['id']}", "DeleteThreadResponse")
    raw("DELETE", f"/assistants/{assistant['id']}", "DeleteAssistantResponse")


def test_stream_event_payloads_match_the_spec(server, client, script):
    model = script({"tool_calls": [{"name": "f", "arguments": {"x": 1}}]})
    assistant = client.beta.assistants.create(model=model, tools=[{"type": "function", "function": {"name": "f"}}])
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    text_assistant = client.beta.assistants.create(model=script({"text": "streamed words"}))
    text_thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    schemas = {"thread.message.delta": "MessageDeltaObject", "thread.run.step.delta": "RunStepDeltaObject",
               "thread.message.created": "MessageObject", "thread.message.completed": "MessageObject",
               "thread.run.step.created": "RunStepObject", "thread.run.created": "RunObject",
               "thread.run.requires_action": "RunObject", "thread.run.completed": "RunObject"}
    seen = set()
    for asst, thr in ((assistant, thread), (text_assistant, text_thread)):
        with httpx.stream("POST", f"{server.base_url}/threads/{thr.id}/runs",
                          json={"assistant_id": asst.id, "stream": True}, timeout=30) as response:
            body = response.read().decode()
        for frame in body.split("\n\n")[:-2]:
            name, data = frame.split("\n")
            name = name[len("event: "):]
            if name in schemas:
                assert_matches(schemas[name], json.loads(data[len("data: "):]))
                seen.add(name)
    assert seen == set(schemas)
