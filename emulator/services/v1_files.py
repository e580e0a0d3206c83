"""The file lists of Assistants API v1: an assistant's files and a message's files.

v2 has no such lists. An assistant's v1 files are its code_interpreter files and the files of its
file_search vector stores, once each; attaching one puts it where the assistant's tools will find it.
A message's v1 files are its attachments. The objects are v1's (`assistant.file`,
`thread.message.file`): the SDK no longer has types for them.
"""

from __future__ import annotations

from typing import Any

from openai.types.beta import Assistant
from openai.types.beta.threads import Message

from emulator.errors import InvalidRequest, NotFound
from emulator.runtime import Runtime
from emulator.services.assistants import AssistantService
from emulator.services.common import page_in_memory
from emulator.services.vector_stores import VectorStoreService
from emulator.store import Page

MAX_ASSISTANT_FILES = 20


def tool_resources(assistant: Assistant) -> dict[str, Any]:
    """The assistant's `tool_resources` as JSON."""
    return assistant.tool_resources.model_dump(exclude_none=True, by_alias=True) if assistant.tool_resources else {}


def _one(files: list[dict[str, Any]], file_id: str, kind: str) -> dict[str, Any]:
    for file in files:
        if file["id"] == file_id:
            return file
    raise NotFound.object(kind, file_id)


class V1FileService:
    def __init__(self, rt: Runtime, assistants: AssistantService, vector_stores: VectorStoreService) -> None:
        self._rt = rt
        self._assistants = assistants
        self._vector_stores = vector_stores

    # -- an assistant's files ---------------------------------------------------------------------
    def file_ids(self, resources: dict[str, Any] | None) -> list[str]:
        """The files `tool_resources` (as JSON) give an assistant's tools, once each: the code_interpreter
        files, then each vector store's files in the order they were added (v1's `file_ids`)."""
        resources = resources or {}
        file_ids = list((resources.get("code_interpreter") or {}).get("file_ids") or [])
        for store_id in (resources.get("file_search") or {}).get("vector_store_ids") or []:
            file_ids += self._vector_stores.files.file_ids(store_id)
        return list(dict.fromkeys(file_ids))

    def assistant_files(self, assistant: Assistant) -> list[dict[str, Any]]:
        files = []
        for file_id in self.file_ids(tool_resources(assistant)):
            file = self._rt.stores.files.get(file_id)
            files.append({"id": file_id, "object": "assistant.file",
                          "created_at": file.created_at if file else assistant.created_at,
                          "assistant_id": assistant.id})
        return files

    def assistant_files_page(self, assistant: Assistant, params) -> Page:
        return page_in_memory(self.assistant_files(assistant), params)

    def assistant_file(self, assistant: Assistant, file_id: str) -> dict[str, Any]:
        return _one(self.assistant_files(assistant), file_id, "assistant file")

    def attach(self, assistant: Assistant, file_id: str) -> dict[str, Any]:
        """Give the assistant's tools the file (code_interpreter, or file_search's first vector store, or
        both, as its tools use), unless they have it already; the `assistant.file`."""
        if self._rt.stores.files.get(file_id) is None:
            raise InvalidRequest(f"Invalid 'file_id': file '{file_id}' not found.", param="file_id")
        resources = tool_resources(assistant)
        existing = self.file_ids(resources)
        if file_id in existing:
            return self.assistant_file(assistant, file_id)
        if len(existing) >= MAX_ASSISTANT_FILES:
            raise InvalidRequest(f"An assistant can have at most {MAX_ASSISTANT_FILES} files attached.",
                                 param="file_id")
        types = {t.type for t in assistant.tools}
        if "file_search" in types:
            store_ids = (resources.get("file_search") or {}).get("vector_store_ids") or []
            if store_ids:
                self._vector_stores.files.add_files(self._vector_stores.get(store_ids[0]), [{"file_id": file_id}])
            else:
                store = self._vector_stores.create({"file_ids": [file_id]})
                resources["file_search"] = {"vector_store_ids": [store.id]}
        if "code_interpreter" in types or "file_search" not in types:
            code_interpreter = resources.setdefault("code_interpreter", {})
            code_interpreter["file_ids"] = [*(code_interpreter.get("file_ids") or []), file_id]
        self._assistants.update(assistant.id, {"tool_resources": resources})
        return {"id": file_id, "object": "assistant.file", "created_at": self._rt.clock.now(),
                "assistant_id": assistant.id}

    def detach(self, assistant: Assistant, file_id: str) -> dict[str, Any]:
        """Take the file from the assistant's tools (its vector stores included); the deletion object."""
        self.assistant_file(assistant, file_id)  # 404 unless attached
        resources = tool_resources(assistant)
        code_interpreter = resources.get("code_interpreter") or {}
        if file_id in (code_interpreter.get("file_ids") or []):
            code_interpreter["file_ids"] = [f for f in code_interpreter["file_ids"] if f != file_id]
        for store_id in (resources.get("file_search") or {}).get("vector_store_ids") or []:
            if self._vector_stores.files.holds(store_id, file_id):
                self._vector_stores.files.delete(store_id, file_id)
        self._assistants.update(assistant.id, {"tool_resources": resources})
        return {"id": file_id, "object": "assistant.file.deleted", "deleted": True}

    # -- a message's files ------------------------------------------------------------------------
    @staticmethod
    def message_files(message: Message) -> list[dict[str, Any]]:
        return [{"id": file_id, "object": "thread.message.file", "created_at": message.created_at,
                 "message_id": message.id}
                for file_id in dict.fromkeys(a.file_id for a in message.attachments or [])]

    def message_files_page(self, message: Message, params) -> Page:
        return page_in_memory(self.message_files(message), params)

    def message_file(self, message: Message, file_id: str) -> dict[str, Any]:
        return _one(self.message_files(message), file_id, "message file")
