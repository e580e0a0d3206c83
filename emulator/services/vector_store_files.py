"""Vector store files and file batches, and the bookkeeping of their ingestion.

Adding a file creates it `in_progress` and queues it for the ingestion worker
(a thread); the worker reports back through `job_input` and `finish`, which run
on that thread. One lock orders every change to a store's files, so counts stay
exact: `file_counts` are recounted from the rows after each change, never
incremented. Files still `in_progress` when the server stopped are queued again
by `start` (ingestion resumes), which the assembly calls once the server is built;
`close` stops the worker.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from openai.types import VectorStore
from openai.types.vector_stores import VectorStoreFile, VectorStoreFileBatch, VectorStoreFileDeleted

from emulator.errors import InvalidRequest, NotFound
from emulator.objects import revise
from emulator.runtime import Runtime
from emulator.services.common import page_of
from emulator.signals import ChangeSignals
from emulator.tools.file_search import FileSearch
from emulator.tools.file_search.chunking import resolve_strategy
from emulator.tools.file_search.index import PreparedFile
from emulator.tools.file_search.ingestion import Failure, IngestionWorker, IngestJob, JobInput

FILE_STATUSES = ("in_progress", "completed", "failed", "cancelled")


def _counts(by_status: dict[str, int]) -> dict[str, int]:
    counts = {status: by_status.get(status, 0) for status in FILE_STATUSES}
    return {**counts, "total": sum(counts.values())}


class VectorStoreFileService:
    def __init__(self, rt: Runtime, file_search: FileSearch) -> None:
        self._rt = rt
        self._index = file_search.index
        self._files = rt.stores.vector_store_files
        self._batches = rt.stores.vector_store_file_batches
        self.lock = file_search.lock
        self._db = rt.stores.db
        self._tokens: dict[tuple[str, str], int] = {}
        self._counter = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changes = ChangeSignals()
        self._worker = IngestionWorker(self._index, self)

    def start(self) -> None:
        """Start the ingestion worker and queue again what a stopped server left `in_progress` (called on
        the event loop, which the worker then tells of finished files)."""
        self._loop = asyncio.get_running_loop()
        self._worker.start()
        self._resume_interrupted()

    @contextmanager
    def _changing(self) -> Iterator[None]:
        """A change to stores' files: one at a time (the lock), and written as one transaction, so a
        reader never sees a file's new status beside its store's or batch's old counts."""
        with self.lock, self._db.transaction():
            yield

    def halt_ingestion(self) -> None:
        """Server shutdown, first step: stop ingesting now (files in hand stay `in_progress`)."""
        self._worker.halt()

    def close(self) -> None:
        """Stop the ingestion worker and wait (briefly) for its threads."""
        self._worker.stop()

    # -- adding files ------------------------------------------------------------------------------
    def add_files(self, store: VectorStore, entries: list[dict[str, Any]], batch_id: str | None = None) -> list[VectorStoreFile]:
        """Attach files (`file_id`, optional `chunking_strategy`, `attributes`) and queue their ingestion."""
        now = self._rt.clock.now()
        self.check_files([entry["file_id"] for entry in entries])
        prepared = {}
        for entry in entries:
            strategy = resolve_strategy(entry.get("chunking_strategy"))
            prepared[entry["file_id"]] = VectorStoreFile.model_validate({
                "id": entry["file_id"], "object": "vector_store.file", "usage_bytes": 0, "created_at": now,
                "vector_store_id": store.id, "status": "in_progress", "last_error": None,
                "chunking_strategy": strategy, "attributes": entry.get("attributes") or {},
            })
        with self._changing():
            for old in self._files.find_in("id", list(prepared), vector_store_id=store.id):
                self._forget(store.id, old.id)  # added again: the new copy replaces the old
            self._files.add_all(list(prepared.values()), batch_id)
            self.refresh(store.id)
        for file_id in prepared:
            self._queue(store.id, file_id)
        return list(prepared.values())

    def check_files(self, file_ids: list[str]) -> None:
        known = {f.id for f in self._rt.stores.files.find_in("id", file_ids)} if file_ids else set()
        for file_id in file_ids:
            if file_id not in known:
                raise InvalidRequest(f"No file found with id '{file_id}'.", param="file_id")

    def _queue(self, vector_store_id: str, file_id: str) -> None:
        token = next(self._counter)
        self._tokens[(vector_store_id, file_id)] = token
        self._worker.submit(IngestJob(vector_store_id, file_id, token))

    def _resume_interrupted(self) -> None:
        """At start: ingest again the files a stopped (or killed) server left `in_progress`, and recount the
        stores it was changing. A kill can fall between a file's status and its store's counts and usage,
        which are separate writes; recounting from the file rows makes them exact again."""
        pending = self._files.find(status="in_progress")
        unsettled = {f.vector_store_id for f in pending}
        unsettled |= {s.id for s in self._rt.stores.vector_stores.find(status="in_progress")}
        unsettled |= {b.vector_store_id for b in self._batches.find(status="in_progress")}
        with self._changing():
            for vector_store_id in unsettled:
                self._recount_usage(vector_store_id)
                self.refresh(vector_store_id)
        for file in pending:
            self._queue(file.vector_store_id, file.id)

    def _recount_usage(self, vector_store_id: str) -> None:
        stores = self._rt.stores.vector_stores
        store = stores.get(vector_store_id)
        if store is None:
            return
        usage = sum(f.usage_bytes for f in self._files.find(vector_store_id=vector_store_id))
        if usage != store.usage_bytes:
            stores.save(revise(store, usage_bytes=usage))

    # -- reading and changing ---------------------------------------------------------------------
    def get(self, vector_store_id: str, file_id: str) -> VectorStoreFile:
        file = self._files.get_in(vector_store_id, file_id)
        if file is None:
            raise NotFound.object("vector store file", file_id)
        return file

    def file_ids(self, vector_store_id: str) -> list[str]:
        """The ids of the store's files, in the order they were added."""
        return [f.id for f in sorted(self._files.find(vector_store_id=vector_store_id), key=lambda f: f.created_at)]

    def chunk_counts(self, vector_store_id: str) -> dict[str, dict[str, int]]:
        """Per file of the store: how many chunks and tokens it was indexed as (the inspector shows them)."""
        chunks = self._index.chunk_counts(vector_store_id)
        tokens = self._index.token_counts(vector_store_id)
        return {file_id: {"chunks": chunks.get(file_id, 0), "tokens": tokens.get(file_id, 0)}
                for file_id in chunks.keys() | tokens.keys()}

    def holds(self, vector_store_id: str, file_id: str) -> bool:
        return self._files.get_in(vector_store_id, file_id) is not None

    def page(self, vector_store_id: str, params, status: str | None = None, batch_id: str | None = None):
        where = {"vector_store_id": vector_store_id}
        if status is not None:
            if status not in FILE_STATUSES:
                supported = ", ".join(f"'{s}'" for s in FILE_STATUSES)
                raise InvalidRequest(f"Invalid value: '{status}'. Supported values are: {supported}.",
                                     param="filter", code="invalid_value")
            where["status"] = status
        if batch_id is not None:
            where["batch_id"] = batch_id
        return page_of(self._files, params, **where)

    def update_attributes(self, vector_store_id: str, file_id: str, attributes: dict | None) -> VectorStoreFile:
        with self._changing():
            file = self.get(vector_store_id, file_id)
            return self._files.save(revise(file, attributes=attributes or {}))

    def delete(self, vector_store_id: str, file_id: str) -> VectorStoreFileDeleted:
        with self._changing():
            self.get(vector_store_id, file_id)
            self._forget(vector_store_id, file_id)
            self.refresh(vector_store_id)
        return VectorStoreFileDeleted(id=file_id, object="vector_store.file.deleted", deleted=True)

    def _forget(self, vector_store_id: str, file_id: str) -> None:
        """Remove a file's row and everything indexed for it (under the lock)."""
        file = self._files.get_in(vector_store_id, file_id)
        self._tokens.pop((vector_store_id, file_id), None)
        self._files.remove_in(vector_store_id, file_id)
        self._index.remove_file(vector_store_id, file_id)
        store = self._rt.stores.vector_stores.get(vector_store_id)
        if file is not None and store is not None and file.usage_bytes:
            self._rt.stores.vector_stores.save(revise(store, usage_bytes=max(0, store.usage_bytes - file.usage_bytes)))

    def remove_everywhere(self, file_id: str) -> None:
        """The file itself was deleted: take it out of every vector store."""
        with self._changing():
            for file in self._files.find(id=file_id):
                self._forget(file.vector_store_id, file_id)
                self.refresh(file.vector_store_id)

    def remove_store(self, vector_store_id: str) -> None:
        with self._changing():
            for key in [k for k in self._tokens if k[0] == vector_store_id]:
                del self._tokens[key]
            self._files.remove_where(vector_store_id=vector_store_id)
            self._batches.remove_where(vector_store_id=vector_store_id)
            self._index.remove_store(vector_store_id)

    def content(self, vector_store_id: str, file_id: str) -> dict[str, Any]:
        self.get(vector_store_id, file_id)
        document = self._index.document(vector_store_id, file_id)
        pages = []
        if document is not None:
            bounds = [*document.page_starts, len(document.text)]
            pages = [document.text[bounds[i]:bounds[i + 1]].strip() for i in range(len(document.page_starts))]
        return {"object": "vector_store.file_content.page", "data": [{"type": "text", "text": p} for p in pages if p],
                "has_more": False, "next_page": None}

    # -- batches -------------------------------------------------------------------------------------
    def create_batch(self, store: VectorStore, body: dict[str, Any]) -> VectorStoreFileBatch:
        if "file_ids" in body and "files" in body:
            raise InvalidRequest("'file_ids' and 'files' are mutually exclusive; give one of them.", param="files")
        if "files" in body:
            entries = body["files"]
        else:
            shared = {k: body[k] for k in ("chunking_strategy", "attributes") if k in body}
            entries = [{"file_id": file_id, **shared} for file_id in body["file_ids"]]
        self.check_files([entry["file_id"] for entry in entries])
        for entry in entries:
            resolve_strategy(entry.get("chunking_strategy"))  # checked before the batch is made
        batch = VectorStoreFileBatch.model_validate({
            "id": self._rt.ids.new("vsfb_"), "object": "vector_store.files_batch",
            "created_at": self._rt.clock.now(), "vector_store_id": store.id, "status": "in_progress",
            "file_counts": _counts({"in_progress": len(entries)}),
        })
        self._batches.add(batch)
        self.add_files(store, entries, batch.id)
        return self.get_batch(store.id, batch.id)

    def get_batch(self, vector_store_id: str, batch_id: str) -> VectorStoreFileBatch:
        batch = self._batches.get(batch_id)
        if batch is None or batch.vector_store_id != vector_store_id:
            raise NotFound.object("vector store file batch", batch_id)
        return batch

    def cancel_batch(self, vector_store_id: str, batch_id: str) -> VectorStoreFileBatch:
        with self._changing():
            batch = self.get_batch(vector_store_id, batch_id)
            if batch.status != "in_progress":
                raise InvalidRequest(f"Cannot cancel a batch with status '{batch.status}'.")
            pending = self._files.find(vector_store_id=vector_store_id, batch_id=batch_id, status="in_progress")
            self._files.save_all([revise(f, status="cancelled") for f in pending])
            self._recount_batch(batch, "cancelled")
            self.refresh(vector_store_id)
        self._changes.notify(vector_store_id)
        return self.get_batch(vector_store_id, batch_id)

    # -- counts ------------------------------------------------------------------------------------------
    def refresh(self, vector_store_id: str) -> None:
        """Recount a store's files (and its batches' files) into the stored objects (under the lock)."""
        stores = self._rt.stores.vector_stores
        store = stores.get(vector_store_id)
        if store is None:
            return
        counts = _counts(self._files.status_counts(vector_store_id=vector_store_id))
        status = store.status if store.status == "expired" else (
            "in_progress" if counts["in_progress"] else "completed")
        if counts != store.file_counts.model_dump() or status != store.status:
            stores.save(revise(store, file_counts=counts, status=status))
        for batch in self._batches.find(vector_store_id=vector_store_id, status="in_progress"):
            self._recount_batch(batch)

    def _recount_batch(self, batch: VectorStoreFileBatch, status: str | None = None) -> None:
        counts = _counts(self._files.status_counts(vector_store_id=batch.vector_store_id, batch_id=batch.id))
        if status is None:
            status = "in_progress"
            if not counts["in_progress"]:
                status = "failed" if counts["total"] and counts["failed"] == counts["total"] else "completed"
        if counts != batch.file_counts.model_dump() or status != batch.status:
            self._batches.save(revise(batch, file_counts=counts, status=status))

    # -- the ingestion worker's side (runs on its thread) -------------------------------------------
    def job_input(self, job: IngestJob) -> JobInput | None:
        if self._tokens.get((job.vector_store_id, job.file_id)) != job.token:
            return None
        file = self._files.get_in(job.vector_store_id, job.file_id)
        source = self._rt.stores.files.get(job.file_id)
        if file is None or file.status != "in_progress":
            return None
        if source is None:
            raise FileNotFoundError(f"the file {job.file_id} was deleted")
        strategy = file.chunking_strategy.model_dump() if file.chunking_strategy else resolve_strategy(None)
        return JobInput(source.filename, self._rt.stores.blobs.read(job.file_id), strategy)

    def finish(self, done: list[tuple[IngestJob, PreparedFile]], failed: list[Failure]) -> None:
        with self.lock:
            pending = self._pending_files([job for job, _p in done] + [f.job for f in failed])
            wanted = [(job, p) for job, p in done if (job.vector_store_id, job.file_id) in pending]
            self._index.store([p for _job, p in wanted])
            usage: dict[str, int] = {}
            updates = []
            for job, prepared in wanted:
                file = pending[(job.vector_store_id, job.file_id)]
                updates.append(revise(file, status="completed", usage_bytes=prepared.usage_bytes))
                usage[job.vector_store_id] = usage.get(job.vector_store_id, 0) + prepared.usage_bytes
            for failure in failed:
                failed_file = pending.get((failure.job.vector_store_id, failure.job.file_id))
                if failed_file is not None:
                    updates.append(revise(failed_file, status="failed",
                                          last_error={"code": failure.code, "message": failure.message}))
            touched = {f.vector_store_id for f in updates}
            with self._db.transaction():
                self._files.save_all(updates)
                for vector_store_id in touched:
                    self._add_usage(vector_store_id, usage.get(vector_store_id, 0))
                    self.refresh(vector_store_id)
        for vector_store_id in touched:
            assert self._loop is not None  # the worker runs only after `start`
            try:
                self._loop.call_soon_threadsafe(self._changes.notify, vector_store_id)
            except RuntimeError:  # the loop closed (shutdown): no poller is left to tell
                pass

    def _pending_files(self, jobs: list[IngestJob]) -> dict[tuple[str, str], VectorStoreFile]:
        """The jobs' files that still wait for these very jobs (not removed, cancelled or re-added since)."""
        current = [j for j in jobs if self._tokens.get((j.vector_store_id, j.file_id)) == j.token]
        found = {}
        for store_id in {j.vector_store_id for j in current}:
            ids = [j.file_id for j in current if j.vector_store_id == store_id]
            for file in self._files.find_in("id", ids, vector_store_id=store_id, status="in_progress"):
                found[(store_id, file.id)] = file
        return found

    def _add_usage(self, vector_store_id: str, extra: int) -> None:
        stores = self._rt.stores.vector_stores
        store = stores.get(vector_store_id)
        if store is not None and extra:
            stores.save(revise(store, usage_bytes=store.usage_bytes + extra))

    # -- pollers ------------------------------------------------------------------------------------------
    async def wait_for_change(self, vector_store_id: str, timeout_s: float) -> None:
        """Return when ingestion in the store moves on, or after `timeout_s`."""
        await self._changes.wait(vector_store_id, timeout_s)

    def in_progress(self, vector_store_id: str) -> int:
        return self._files.status_counts(vector_store_id=vector_store_id, status="in_progress").get("in_progress", 0)
