"""Containers (`/v1/containers`): the code_interpreter sandbox as an API object, its files, and its expiry.

A container is a sandbox session: its id is the session id the code_interpreter tool keeps a kernel
under. Its files are stored like uploads (bytes in the blob store, under the container file's id) and
describe what lies in the sandbox's /mnt/data: `source` `user` for files put there through the API,
`assistant` for files the code wrote (`create_output`, which the tool is handed by the assembly).

A container unused for its `expires_after.minutes` becomes `expired`: a background sweep (and any read
that finds it overdue) marks it and stops its sandbox; its files then answer OpenAI's "Container is
expired." error. Deleting a container stops its sandbox and deletes its files.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterable
from pathlib import PurePosixPath
from typing import Any

from openai.types import ContainerRetrieveResponse as Container
from openai.types.containers import FileRetrieveResponse as ContainerFile

from emulator.errors import InvalidRequest, NotFound
from emulator.objects import revise
from emulator.runtime import Runtime
from emulator.services.common import page_of, require
from emulator.store import Page

log = logging.getLogger(__name__)

MOUNT = PurePosixPath("/mnt/data")
DEFAULT_EXPIRY = {"anchor": "last_active_at", "minutes": 20}
DEFAULT_MEMORY_LIMIT = "1g"
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")  # what a name in /mnt/data may hold (as the sandbox's inputs)

FreeSession = Callable[[str], Awaitable[None]]
"""Stop what the hosted tools hold for a session id (the tool registry's `session_deleted`)."""


class ContainerService:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._store = rt.stores.containers
        self._files = rt.stores.container_files
        self._free_session: FreeSession | None = None
        self._to_free: set[str] = set()  # expired (found on a read) whose sandbox the sweep still stops
        self._lock = threading.Lock()  # files are made from the tool's worker threads and from requests
        self._sweeper: asyncio.Task | None = None

    def bind_sessions(self, free_session: FreeSession) -> None:
        """How to stop a container's sandbox: given by the assembly once the hosted tools are built."""
        self._free_session = free_session

    def start(self) -> None:
        """Start the expiry sweep (on the event loop)."""
        self._sweeper = asyncio.get_running_loop().create_task(self._sweep(), name="container expiry")

    async def aclose(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
            self._sweeper = None

    # -- containers ---------------------------------------------------------------------------------
    def create(self, name: str, file_ids: Iterable[str] = (), expires_after: dict[str, Any] | None = None,
               memory_limit: str | None = None, network_policy: dict[str, Any] | None = None) -> Container:
        """A new, running container holding copies of the uploaded Files `file_ids`."""
        file_ids = list(dict.fromkeys(file_ids))
        for file_id in file_ids:  # all checked before anything is made
            require(self._rt.stores.files, file_id, "file")
        expiry: dict[str, Any] = expires_after or DEFAULT_EXPIRY
        if expiry["minutes"] < 1:
            raise InvalidRequest("Invalid 'expires_after.minutes': expected a value of at least 1.",
                                 param="expires_after.minutes", code="invalid_value")
        now = self._rt.clock.now()
        fields: dict[str, Any] = {
            "id": self._rt.ids.new("cntr_"), "object": "container", "created_at": now, "status": "running",
            "expires_after": expiry, "last_active_at": now, "memory_limit": memory_limit or DEFAULT_MEMORY_LIMIT,
            "name": name,
        }
        if network_policy is not None:
            fields["network_policy"] = network_policy
        container = self._store.add(Container.model_validate(fields))
        for file_id in file_ids:
            self._copy_file(container.id, file_id)
        return container

    def create_for_response(self, file_ids: Iterable[str] = (), memory_limit: str | None = None) -> Container:
        """The container a response's `{"type": "auto"}` code_interpreter starts (default expiry)."""
        return self.create("auto", file_ids, memory_limit=memory_limit)

    def retrieve(self, container_id: str) -> Container:
        return self._current(require(self._store, container_id, "container"))

    def page(self, params, name: str | None = None) -> Page:
        self.expire_overdue()
        return page_of(self._store, params, **({"name": name} if name is not None else {}))

    async def delete(self, container_id: str) -> dict[str, Any]:
        require(self._store, container_id, "container")
        with self._lock:
            for file in self._files.find(container_id=container_id):
                self._rt.stores.blobs.delete(file.id)
            self._files.remove_where(container_id=container_id)
            self._store.remove(container_id)
        self._to_free.discard(container_id)
        await self._stop_sandbox(container_id)
        return {"id": container_id, "object": "container.deleted", "deleted": True}

    def touch(self, container_id: str) -> None:
        """The container was used now: its expiry counts from here. Nothing for an unknown or expired one."""
        container = self._store.get(container_id)
        if container is not None and container.status == "running":
            self._store.save(revise(container, last_active_at=self._rt.clock.now()))

    def require_active(self, container_id: str) -> Container:
        """The container, if it can be used: 404 when unknown, OpenAI's 400 when it has expired."""
        container = self.retrieve(container_id)
        if container.status == "expired":
            raise InvalidRequest("Container is expired.")
        return container

    # -- files --------------------------------------------------------------------------------------
    def add_upload(self, container_id: str, filename: str, data: bytes) -> ContainerFile:
        """A file uploaded into the container, at /mnt/data/<its name> (made unique if taken)."""
        self.require_active(container_id)
        file = self._add(container_id, filename, data, "user")
        self.touch(container_id)
        return file

    def add_from_file(self, container_id: str, file_id: str) -> ContainerFile:
        """A copy of an uploaded File in the container."""
        self.require_active(container_id)
        require(self._rt.stores.files, file_id, "file")
        file = self._copy_file(container_id, file_id)
        self.touch(container_id)
        return file

    def files_page(self, container_id: str, params) -> Page:
        self.require_active(container_id)
        return page_of(self._files, params, container_id=container_id)

    def files(self, container_id: str) -> list[ContainerFile]:
        """All of a container's files, oldest first."""
        return self._files.find(container_id=container_id)

    def retrieve_file(self, container_id: str, file_id: str) -> ContainerFile:
        self.require_active(container_id)
        return self._file(container_id, file_id)

    def file_content(self, container_id: str, file_id: str) -> tuple[ContainerFile, bytes]:
        self.require_active(container_id)
        file = self._file(container_id, file_id)
        return file, self._rt.stores.blobs.read(file.id)

    def delete_file(self, container_id: str, file_id: str) -> dict[str, Any]:
        """Delete the file (a copy already in a running sandbox stays there until the sandbox stops)."""
        self.require_active(container_id)
        with self._lock:
            self._file(container_id, file_id)
            self._files.remove(file_id)
            self._rt.stores.blobs.delete(file_id)
        return {"id": file_id, "object": "container.file.deleted", "deleted": True}

    def create_output(self, container_id: str, path: str, data: bytes) -> str:
        """A file the container's code wrote at `path` (under /mnt/data), or an image it showed: its container
        file's id. A path the container already has a file at keeps that file's id, with the new bytes.
        Called from a worker thread (it writes the blob)."""
        require(self._store, container_id, "container")
        with self._lock:
            existing = next((f for f in self._files.find(container_id=container_id) if f.path == path), None)
            if existing is None:
                return self._new_file(container_id, path, data, "assistant").id
            self._rt.stores.blobs.write(existing.id, data)
            self._files.save(revise(existing, bytes=len(data)))
            return existing.id

    # -- expiry -------------------------------------------------------------------------------------
    def expire_overdue(self) -> int:
        """Mark running containers idle past their expiry `expired`; how many were. Their sandboxes are
        stopped by the sweep."""
        count = 0
        for container in self._store.find(status="running"):
            if self._current(container).status == "expired":
                count += 1
        return count

    async def sweep_once(self) -> None:
        """Expire what is overdue and stop the sandboxes of expired containers."""
        self.expire_overdue()
        while self._to_free:
            await self._stop_sandbox(self._to_free.pop())

    async def _sweep(self) -> None:
        while True:
            try:
                await self.sweep_once()
            except Exception:
                log.exception("container expiry sweep failed")
            await asyncio.sleep(max(self._rt.settings.container_expiry_sweep_interval_s, 0.05))

    def _current(self, container: Container) -> Container:
        """The container, marked `expired` first if it is running and idle past its expiry."""
        expiry = container.expires_after
        if container.status != "running" or expiry is None or expiry.minutes is None:
            return container
        anchor = container.last_active_at or container.created_at
        if anchor + expiry.minutes * 60 > self._rt.clock.now():
            return container
        expired = self._store.save(revise(container, status="expired"))
        self._to_free.add(container.id)
        return expired

    async def _stop_sandbox(self, container_id: str) -> None:
        if self._free_session is not None:
            await self._free_session(container_id)

    # -- helpers ------------------------------------------------------------------------------------
    def _file(self, container_id: str, file_id: str) -> ContainerFile:
        file = self._files.get(file_id)
        if file is None or file.container_id != container_id:
            raise NotFound.object("container file", file_id)
        return file

    def _copy_file(self, container_id: str, file_id: str) -> ContainerFile:
        file = require(self._rt.stores.files, file_id, "file")
        return self._add(container_id, file.filename, self._rt.stores.blobs.read(file_id), "user")

    def _add(self, container_id: str, filename: str, data: bytes, source: str) -> ContainerFile:
        with self._lock:
            taken = {f.path for f in self._files.find(container_id=container_id)}
            file_id = self._rt.ids.new("cfile_")
            return self._new_file(container_id, _free_path(filename, file_id, taken), data, source, file_id)

    def _new_file(self, container_id: str, path: str, data: bytes, source: str,
                  file_id: str | None = None) -> ContainerFile:
        file = ContainerFile(id=file_id or self._rt.ids.new("cfile_"), object="container.file",
                             created_at=self._rt.clock.now(), bytes=len(data), container_id=container_id,
                             path=path, source=source)
        self._rt.stores.blobs.write(file.id, data)
        return self._files.add(file)


def _free_path(filename: str, file_id: str, taken: set[str]) -> str:
    """/mnt/data/<a safe form of the file's name>, or with the file's id in it when another file has that."""
    name = _UNSAFE.sub("_", PurePosixPath(filename.replace("\\", "/")).name).strip(" .") or file_id
    path = str(MOUNT / name)
    if path in taken:
        stem, dot, suffix = name.rpartition(".")
        path = str(MOUNT / (f"{stem}-{file_id}.{suffix}" if dot and stem else f"{name}-{file_id}"))
    return path
