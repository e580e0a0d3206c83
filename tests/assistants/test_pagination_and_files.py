"""Cursor pagination as OpenAI does it, and the Files API with raw bytes."""

from __future__ import annotations

import hashlib


def test_pagination_across_pages(client):
    thread = client.beta.threads.create()
    created = [client.beta.threads.messages.create(thread_id=thread.id, role="user", content=f"m{i}").id
               for i in range(25)]

    first = client.beta.threads.messages.list(thread_id=thread.id, limit=10)
    assert [m.id for m in first.data] == created[::-1][:10]
    assert first.has_more is True
    assert (first.first_id, first.last_id) == (created[24], created[15])

    second = client.beta.threads.messages.list(thread_id=thread.id, limit=10, after=first.last_id)
    assert [m.id for m in second.data] == created[::-1][10:20]
    last = client.beta.threads.messages.list(thread_id=thread.id, limit=10, after=second.last_id)
    assert [m.id for m in last.data] == created[::-1][20:] and last.has_more is False

    back = client.beta.threads.messages.list(thread_id=thread.id, limit=5, before=second.first_id)
    assert [m.id for m in back.data] == created[::-1][5:10]

    ascending = client.beta.threads.messages.list(thread_id=thread.id, limit=7, order="asc", after=created[2])
    assert [m.id for m in ascending.data] == created[3:10]
    ascending_before = client.beta.threads.messages.list(thread_id=thread.id, limit=3, order="asc",
                                                         before=created[10])
    assert [m.id for m in ascending_before.data] == created[7:10]

    # The SDK's auto-pagination walks every page.
    walked = [m.id for m in client.beta.threads.messages.list(thread_id=thread.id, limit=4, order="asc")]
    assert walked == created
    assert len(list(client.beta.threads.messages.list(thread_id=thread.id, limit=100))) == 25

    empty = client.beta.threads.messages.list(thread_id=client.beta.threads.create().id)
    assert (empty.data, empty.first_id, empty.last_id, empty.has_more) == ([], None, None, False)


def test_assistants_crud_and_auto_pagination(client):
    made = [client.beta.assistants.create(model="scripted/echo", name=f"a{i}", metadata={"batch": "p"}).id
            for i in range(7)]
    seen = [a.id for a in client.beta.assistants.list(limit=2) if a.id in made]
    assert seen == made[::-1]
    updated = client.beta.assistants.update(made[0], name="renamed", instructions="Be kind.",
                                            tools=[{"type": "function", "function": {"name": "f"}}])
    assert (updated.name, updated.instructions, updated.tools[0].function.name) == ("renamed", "Be kind.", "f")
    assert client.beta.assistants.retrieve(made[0]).name == "renamed"
    deleted = client.beta.assistants.delete(made[0])
    assert (deleted.id, deleted.object, deleted.deleted) == (made[0], "assistant.deleted", True)
    assert made[0] not in [a.id for a in client.beta.assistants.list(limit=100)]


def test_thread_and_message_crud(client):
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "a", "metadata": {"n": "1"}},
                  {"role": "assistant", "content": [{"type": "text", "text": "b"}]}],
        metadata={"user": "u1"},
    )
    messages = client.beta.threads.messages.list(thread_id=thread.id, order="asc").data
    assert [(m.role, m.content[0].text.value) for m in messages] == [("user", "a"), ("assistant", "b")]
    assert messages[0].metadata == {"n": "1"}
    changed = client.beta.threads.messages.update(thread_id=thread.id, message_id=messages[0].id,
                                                  metadata={"n": "2"})
    assert changed.metadata == {"n": "2"}
    assert client.beta.threads.update(thread.id, metadata={"user": "u2"}).metadata == {"user": "u2"}
    removed = client.beta.threads.messages.delete(thread_id=thread.id, message_id=messages[1].id)
    assert (removed.deleted, removed.object) == (True, "thread.message.deleted")
    assert len(client.beta.threads.messages.list(thread_id=thread.id).data) == 1
    gone = client.beta.threads.delete(thread.id)
    assert (gone.deleted, gone.object) == (True, "thread.deleted")


def test_files_upload_list_content_delete(client, tmp_path):
    payload = bytes(range(256)) * 1000
    path = tmp_path / "data.bin"
    path.write_bytes(payload)
    with path.open("rb") as fh:
        uploaded = client.files.create(file=fh, purpose="assistants")
    assert uploaded.id.startswith("file-") and uploaded.object == "file"
    assert (uploaded.bytes, uploaded.filename, uploaded.purpose, uploaded.status) == (
        len(payload), "data.bin", "assistants", "processed")
    assert client.files.retrieve(uploaded.id).filename == "data.bin"
    content = client.files.content(uploaded.id).read()
    assert hashlib.sha256(content).digest() == hashlib.sha256(payload).digest()
    vision = client.files.create(file=("pic.png", b"\x89PNG fake"), purpose="vision")
    assert uploaded.id in [f.id for f in client.files.list(purpose="assistants")]
    assert vision.id not in [f.id for f in client.files.list(purpose="assistants")]
    deleted = client.files.delete(uploaded.id)
    assert (deleted.id, deleted.deleted) == (uploaded.id, True)
    assert uploaded.id not in [f.id for f in client.files.list()]


def test_image_file_message_content_reaches_the_model(client):
    image = client.files.create(file=("dot.png", b"\x89PNG\r\n\x1a\n"), purpose="vision")
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(
        thread_id=thread.id, role="user",
        content=[{"type": "text", "text": "What is this?"}, {"type": "image_file", "image_file": {"file_id": image.id}}],
    )
    assert [c.type for c in message.content] == ["text", "image_file"]
    assert message.content[1].image_file.file_id == image.id
