"""Threads: conversations, created empty or with initial messages."""

from __future__ import annotations

from typing import Any

from openai.types.beta import Thread, ThreadDeleted

from emulator.engine import RunEngine
from emulator.errors import NotFound
from emulator.objects import revise
from emulator.runtime import Runtime
from emulator.services.common import page_of, require
from emulator.services.messages import MessageService


class ThreadService:
    def __init__(self, rt: Runtime, messages: MessageService, engine: RunEngine, vector_stores=None) -> None:
        self._rt = rt
        self._engine = engine
        self._store = rt.stores.threads
        self._messages = messages
        self._vector_stores = vector_stores

    def _tool_resources(self, body: dict[str, Any]) -> dict[str, Any]:
        """`tool_resources`, with `file_search.vector_stores` helpers made into vector stores."""
        resources = body.get("tool_resources") or {}
        return self._vector_stores.resolve_tool_resources(resources) if self._vector_stores else resources

    def create(self, body: dict[str, Any]) -> Thread:
        thread = Thread.model_validate({
            "id": self._rt.ids.new("thread_"), "object": "thread", "created_at": self._rt.clock.now(),
            "metadata": body.get("metadata") or {}, "tool_resources": self._tool_resources(body),
        })
        self._store.add(thread)
        try:
            for message in body.get("messages") or []:
                self._messages.create(thread.id, message, check_active_run=False)
        except Exception:
            self.delete(thread.id)  # all or nothing: a bad message leaves no half-made thread
            raise
        return self.get(thread.id)  # as stored: attachments may have given it a vector store

    def get(self, thread_id: str) -> Thread:
        return require(self._store, thread_id, "thread")

    def document(self, thread_id: str) -> str:
        """`get`'s answer as the stored JSON: the read path serves it without parsing it."""
        document = self._store.document(thread_id)
        if document is None:
            raise NotFound.object("thread", thread_id)
        return document

    def update(self, thread_id: str, body: dict[str, Any]) -> Thread:
        thread = self.get(thread_id)
        fields = {k: v for k, v in body.items() if k in ("metadata", "tool_resources")}
        if "tool_resources" in fields:
            fields["tool_resources"] = self._tool_resources(fields)
        return self._store.save(revise(thread, **fields)) if fields else thread

    def delete(self, thread_id: str) -> ThreadDeleted:
        self.get(thread_id)
        stores = self._rt.stores
        self._engine.thread_deleted(thread_id)
        for collection in (stores.steps, stores.runs, stores.messages):
            collection.remove_where(thread_id=thread_id)
        self._store.remove(thread_id)
        return ThreadDeleted(id=thread_id, object="thread.deleted", deleted=True)

    def page(self, params):
        return page_of(self._store, params)
