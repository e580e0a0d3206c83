"""Messages of a thread: text and image content parts, attachments, metadata."""

from __future__ import annotations

from typing import Any

from openai.types.beta.threads import Message, MessageDeleted

from emulator import run_status
from emulator.errors import InvalidRequest, NotFound
from emulator.objects import revise
from emulator.runtime import Runtime
from emulator.services.common import page_of, require, require_exists
from emulator.store.collection import ParentNotFound


def content_blocks(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Request content (a string or content parts) as the message object's content blocks."""
    if isinstance(content, str):
        return [{"type": "text", "text": {"value": content, "annotations": []}}]
    blocks = []
    for part in content:
        if part["type"] == "text":
            blocks.append({"type": "text", "text": {"value": part["text"], "annotations": []}})
        else:
            blocks.append(part)
    return blocks


class MessageService:
    def __init__(self, rt: Runtime, vector_stores=None) -> None:
        self._rt = rt
        self._store = rt.stores.messages
        self._vector_stores = vector_stores

    def active_run_id(self, thread_id: str) -> str | None:
        runs = self._rt.stores.runs.find_in("status", run_status.ACTIVE, thread_id=thread_id)
        return runs[-1].id if runs else None

    def _thread(self, thread_id: str):
        return require(self._rt.stores.threads, thread_id, "thread")

    def create(self, thread_id: str, body: dict[str, Any], *, check_active_run: bool = True) -> Message:
        thread = self._thread(thread_id)
        if check_active_run and (run_id := self.active_run_id(thread_id)):
            raise InvalidRequest(f"Can't add messages to {thread_id} while a run {run_id} is active.")
        self._check_files(body)
        now = self._rt.clock.now()
        message = Message.model_validate({
            "id": self._rt.ids.new("msg_"), "object": "thread.message", "created_at": now,
            "thread_id": thread_id, "role": body["role"], "content": content_blocks(body["content"]),
            "assistant_id": None, "run_id": None, "attachments": body.get("attachments") or [],
            "metadata": body.get("metadata") or {}, "status": "completed", "completed_at": now,
            "incomplete_at": None, "incomplete_details": None,
        })
        self._store.add(message)
        searchable = [a["file_id"] for a in body.get("attachments") or []
                      if any(t.get("type") == "file_search" for t in a.get("tools") or [])]
        if searchable and self._vector_stores is not None:  # as OpenAI: into the thread's vector store
            self._vector_stores.attach_to_thread(thread, searchable)
        return message

    def _check_files(self, body: dict[str, Any]) -> None:
        content = body["content"]
        file_ids = [a["file_id"] for a in body.get("attachments") or []]
        if isinstance(content, list):
            file_ids += [p["image_file"]["file_id"] for p in content if p["type"] == "image_file"]
        for file_id in file_ids:
            if self._rt.stores.files.get(file_id) is None:
                raise InvalidRequest(f"Invalid 'file_id': '{file_id}'. File not found.", param="file_id")

    def get(self, thread_id: str, message_id: str) -> Message:
        message = self._store.get(message_id)
        if message is None or message.thread_id != thread_id:
            require_exists(self._rt.stores.threads, thread_id, "thread")  # an unknown thread is the first 404
            raise NotFound.object("message", message_id)
        return message  # its thread exists: deleting a thread deletes its messages

    def document(self, thread_id: str, message_id: str) -> str:
        """`get`'s answer as the stored JSON: the read path serves it without parsing it."""
        document = self._store.document(message_id, thread_id=thread_id)
        if document is None:
            require_exists(self._rt.stores.threads, thread_id, "thread")
            raise NotFound.object("message", message_id)
        return document

    def update(self, thread_id: str, message_id: str, body: dict[str, Any]) -> Message:
        message = self.get(thread_id, message_id)
        if "metadata" in body:
            message = self._store.save(revise(message, metadata=body["metadata"]))
        return message

    def delete(self, thread_id: str, message_id: str) -> MessageDeleted:
        self.get(thread_id, message_id)
        self._store.remove(message_id)
        return MessageDeleted(id=message_id, object="thread.message.deleted", deleted=True)

    def page(self, thread_id: str, params, run_id: str | None = None):
        where = {"thread_id": thread_id}
        if run_id:
            where["run_id"] = run_id
        # One query finds the thread and the page; a cursor is looked for first, and when it is not
        # found an unknown thread is still the 404.
        try:
            return page_of(self._store, params, (self._rt.stores.threads, "thread_id"), **where)
        except ParentNotFound:
            raise NotFound.object("thread", thread_id) from None
        except InvalidRequest:
            require_exists(self._rt.stores.threads, thread_id, "thread")
            raise
