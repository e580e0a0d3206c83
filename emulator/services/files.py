"""Files: uploaded bytes kept on disk, described by File objects."""

from __future__ import annotations

from collections.abc import Callable

from openai.types import FileDeleted

from emulator.errors import InvalidRequest
from emulator.objects import File
from emulator.runtime import Runtime
from emulator.services.common import page_of, require

PURPOSES = ("assistants", "batch", "fine-tune", "vision", "user_data", "evals")


class FileService:
    def __init__(self, rt: Runtime, on_delete: Callable[[str], None] | None = None) -> None:
        self._rt = rt
        self._store = rt.stores.files
        self._on_delete = on_delete

    def create(self, filename: str, data: bytes, purpose: str) -> File:
        if purpose not in PURPOSES and purpose != "assistants_output":
            supported = ", ".join(f"'{p}'" for p in PURPOSES)
            raise InvalidRequest(f"Invalid value: '{purpose}'. Supported values are: {supported}.",
                                 param="purpose", code="invalid_value")
        file = File(
            id=self._rt.ids.new("file-"), object="file", bytes=len(data), created_at=self._rt.clock.now(),
            filename=filename, purpose=purpose, status="processed",
        )
        self._rt.stores.blobs.write(file.id, data)
        return self._store.add(file)

    def create_output(self, filename: str, data: bytes) -> str:
        """A file a hosted tool produced (code_interpreter's images and files): its id. Handed to the tool
        as its only way to make files; called in a worker thread (it writes the blob)."""
        return self.create(filename, data, "assistants_output").id

    def get(self, file_id: str) -> File:
        return require(self._store, file_id, "file")

    def find(self, file_id: str) -> File | None:
        """`get` without the 404."""
        return self._store.get(file_id)

    def content(self, file_id: str) -> tuple[File, bytes]:
        file = self.get(file_id)
        return file, self._rt.stores.blobs.read(file_id)

    def delete(self, file_id: str) -> FileDeleted:
        self.get(file_id)
        if self._on_delete is not None:  # e.g. take it out of the vector stores that hold it
            self._on_delete(file_id)
        self._store.remove(file_id)
        self._rt.stores.blobs.delete(file_id)
        return FileDeleted(id=file_id, object="file", deleted=True)

    def page(self, params, purpose: str | None = None):
        return page_of(self._store, params, **({"purpose": purpose} if purpose else {}))
