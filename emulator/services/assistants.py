"""Assistants: a model, instructions and tools, reusable across threads."""

from __future__ import annotations

from typing import Any

from openai.types.beta import Assistant, AssistantDeleted

from emulator.objects import revise
from emulator.runtime import Runtime
from emulator.services.common import page_of, require

_EDITABLE = ("model", "name", "description", "instructions", "tools", "tool_resources", "metadata",
             "temperature", "top_p", "response_format")


class AssistantService:
    def __init__(self, rt: Runtime, vector_stores=None) -> None:
        self._rt = rt
        self._store = rt.stores.assistants
        self._vector_stores = vector_stores

    def _resolved(self, body: dict[str, Any]) -> dict[str, Any]:
        """The body with `tool_resources.file_search.vector_stores` helpers made into vector stores."""
        if self._vector_stores is None or "tool_resources" not in body:
            return body
        return {**body, "tool_resources": self._vector_stores.resolve_tool_resources(body["tool_resources"])}

    def create(self, body: dict[str, Any]) -> Assistant:
        body = self._resolved(body)
        assistant = Assistant.model_validate({
            "id": self._rt.ids.new("asst_"), "object": "assistant", "created_at": self._rt.clock.now(),
            "name": None, "description": None, "instructions": None, "tools": [], "tool_resources": {},
            "metadata": {}, "temperature": 1.0, "top_p": 1.0, "response_format": "auto",
            **{k: v for k, v in body.items() if k in _EDITABLE},
        })
        return self._store.add(assistant)

    def get(self, assistant_id: str) -> Assistant:
        return require(self._store, assistant_id, "assistant")

    def find(self, assistant_id: str) -> Assistant | None:
        """`get` without the 404 (e.g. for a run, whose assistant may have been deleted since)."""
        return self._store.get(assistant_id)

    def update(self, assistant_id: str, body: dict[str, Any]) -> Assistant:
        assistant = self.get(assistant_id)
        body = self._resolved(body)
        return self._store.save(revise(assistant, **{k: v for k, v in body.items() if k in _EDITABLE}))

    def delete(self, assistant_id: str) -> AssistantDeleted:
        self.get(assistant_id)
        self._store.remove(assistant_id)
        return AssistantDeleted(id=assistant_id, object="assistant.deleted", deleted=True)

    def page(self, params):
        return page_of(self._store, params)
