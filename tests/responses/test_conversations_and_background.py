"""Conversations across responses, background responses (poll, cancel, resumed streams), token counts."""

from __future__ import annotations

import time

import httpx
import openai
import pytest


def test_conversation_across_three_responses(client, script):
    model = script(
        {"when": {"contains": "first"}, "text": "One."},
        {"when": {"contains": "second"}, "text": "Two."},
        {"when": {"contains": "third"}, "text": "Three."},
    )
    conversation = client.conversations.create(metadata={"topic": "count"},
                                               items=[{"type": "message", "role": "user", "content": "Count with me."}])
    assert conversation.id.startswith("conv_") and conversation.metadata == {"topic": "count"}
    answers = []
    for word in ("first", "second", "third"):
        response = client.responses.create(model=model, input=f"the {word} number", conversation=conversation.id)
        assert response.conversation.id == conversation.id
        answers.append(response.output_text)
    assert answers == ["One.", "Two.", "Three."]
    items = client.conversations.items.list(conversation.id, order="asc")
    texts = [(i.role, i.content[0].text) for i in items.data]
    assert texts == [("user", "Count with me."), ("user", "the first number"), ("assistant", "One."),
                     ("user", "the second number"), ("assistant", "Two."), ("user", "the third number"),
                     ("assistant", "Three.")]
    # The model saw the whole conversation on the third call: its prompt held every earlier message.
    page = client.conversations.items.list(conversation.id, order="asc", limit=2, after=items.data[1].id)
    assert [i.id for i in page.data] == [i.id for i in items.data[2:4]] and page.has_more
    one = client.conversations.items.retrieve(items.data[0].id, conversation_id=conversation.id)
    assert one.id == items.data[0].id
    added = client.conversations.items.create(conversation.id, items=[{"type": "message", "role": "user",
                                                                       "content": "extra"}])
    assert added.data[0].content[0].text == "extra"
    client.conversations.items.delete(added.data[0].id, conversation_id=conversation.id)
    assert len(client.conversations.items.list(conversation.id).data) == 7
    updated = client.conversations.update(conversation.id, metadata={"topic": "done"})
    assert updated.metadata == {"topic": "done"}
    deleted = client.conversations.delete(conversation.id)
    assert deleted.deleted and deleted.id == conversation.id
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model=model, input="x", conversation=conversation.id)


def test_previous_response_and_conversation_are_exclusive(client, script):
    model = script({"text": "x"})
    first = client.responses.create(model=model, input="hi")
    conversation = client.conversations.create()
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model=model, input="x", previous_response_id=first.id, conversation=conversation.id)
    assert err.value.body["code"] == "mutually_exclusive_parameters"


def test_background_poll_and_cancel(client, script):
    model = script({"text": " ".join(["slow"] * 300), "delay_ms": 20})
    response = client.responses.create(model=model, input="go", background=True)
    assert response.status == "queued" and response.background is True
    deadline = time.monotonic() + 10
    while client.responses.retrieve(response.id).status != "in_progress" and time.monotonic() < deadline:
        time.sleep(0.05)
    cancelled = client.responses.cancel(response.id)
    assert cancelled.status == "cancelled"
    assert client.responses.retrieve(response.id).status == "cancelled"
    quick = script({"text": "done"})
    finished = client.responses.create(model=quick, input="go", background=True)
    deadline = time.monotonic() + 10
    while (current := client.responses.retrieve(finished.id)).status in ("queued", "in_progress"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert current.status == "completed" and current.output_text == "done"
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(client.responses.create(model=quick, input="x").id)


def test_background_stream_resumes_after_a_sequence_number(client, script):
    model = script({"text": "a b c d e f", "delay_ms": 5})
    stream = client.responses.create(model=model, input="go", background=True, stream=True)
    events = list(stream)
    assert events[-1].type == "response.completed"
    resumed = list(client.responses.retrieve(events[-1].response.id, stream=True, starting_after=3))
    assert [e.sequence_number for e in resumed] == [e.sequence_number for e in events[4:]]
    assert [e.type for e in resumed] == [e.type for e in events[4:]]


def test_delete_and_input_tokens(client, script, server):
    model = script({"text": "x"})
    response = client.responses.create(model=model, input="hello there")
    count = client.responses.input_tokens.count(model=model, input="hello there", instructions="Be brief.")
    assert count.object == "response.input_tokens" and count.input_tokens > 2
    deleted = httpx.delete(f"{server.base_url}/responses/{response.id}",
                           headers={"Authorization": "Bearer x"}).json()
    assert deleted == {"id": response.id, "object": "response", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_too_long_input_with_truncation_disabled(make_server, script):
    srv = make_server({"EMULATOR_CONTEXT_WINDOW_TOKENS": "50"})
    client = srv.client()
    model = script({"text": "ok"})
    with pytest.raises(openai.BadRequestError) as err:
        client.responses.create(model=model, input="word " * 200)
    assert err.value.body["code"] == "context_length_exceeded"
    assert client.responses.create(model=model, input=[
        {"role": "user", "content": "word " * 200}, {"role": "user", "content": "short"}],
        truncation="auto").status == "completed"


def test_deleting_a_running_response_leaves_nothing_behind(client, script, server):
    model = script({"text": " ".join(f"word{i}" for i in range(300)), "delay_ms": 10})
    response = client.responses.create(model=model, input="go", background=True)
    deadline = time.monotonic() + 10
    while client.responses.retrieve(response.id).status != "in_progress" and time.monotonic() < deadline:
        time.sleep(0.05)
    deleted = httpx.delete(f"{server.base_url}/responses/{response.id}", headers={"Authorization": "Bearer x"})
    assert deleted.json()["deleted"] is True
    time.sleep(1.0)  # the loop has ended by now; it must not have written the response back
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)
