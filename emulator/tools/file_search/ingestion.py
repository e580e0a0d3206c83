"""Background ingestion: one worker thread turns queued files into searchable chunks.

The server is one asyncio process; parsing and embedding are CPU work, so they
run on this thread, never on the event loop. The worker takes every file queued
(up to a limit) at once and embeds all their windows together: batching is what
makes a small CPU fast. Whether a file is still wanted, and what happens when it
is done or failed, is the owner's business (the vector store service), through
`IngestionHost`.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Protocol

from emulator.tools.file_search.index import FileSearchIndex, PreparedFile
from emulator.tools.file_search.parsing import ParseError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestJob:
    vector_store_id: str
    file_id: str
    token: int
    """Tells this request for the file from a later one (the file re-added meanwhile)."""


@dataclass(frozen=True)
class JobInput:
    filename: str
    data: bytes
    strategy: dict


@dataclass(frozen=True)
class Failure:
    job: IngestJob
    code: str
    message: str


class IngestionHost(Protocol):
    def job_input(self, job: IngestJob) -> JobInput | None:
        """The file to ingest, or None when the job is no longer wanted (file removed, batch cancelled)."""

    def finish(self, done: list[tuple[IngestJob, PreparedFile]], failed: list[Failure]) -> None:
        """Record the outcome of a group of jobs (called on the worker thread)."""


class IngestionWorker:
    def __init__(self, index: FileSearchIndex, host: IngestionHost, *, group_files: int = 64,
                 group_bytes: int = 8 << 20) -> None:
        self._index = index
        self._host = host
        self._group_files, self._group_bytes = group_files, group_bytes
        self._queue: queue.Queue[IngestJob | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="file_search ingestion", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Finish the group in hand and stop; files still queued stay `in_progress` and resume at next start."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    def submit(self, job: IngestJob) -> None:
        self._queue.put(job)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            group, stop = [job], False
            while len(group) < self._group_files:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                group.append(more)
            try:
                self._ingest(group)
            except Exception as exc:  # a bug must neither end the thread nor leave its files in progress
                log.exception("file_search ingestion failed")
                try:
                    self._host.finish([], [Failure(j, "server_error", f"Ingestion failed: {exc}") for j in group])
                except Exception:
                    log.exception("recording the failure failed too")
            if stop:
                return

    def _ingest(self, jobs: list[IngestJob]) -> None:
        prepared: list[tuple[IngestJob, PreparedFile]] = []
        failed: list[Failure] = []
        size = 0
        for position, job in enumerate(jobs):
            if size > self._group_bytes:  # a group of big files: leave the rest for the next round
                for later in jobs[position:]:
                    self._queue.put(later)
                break
            try:
                found = self._host.job_input(job)
                if found is None:
                    continue
                size += len(found.data)
                prepared.append((job, self._index.prepare(job.vector_store_id, job.file_id, found.filename,
                                                          found.data, found.strategy)))
            except ParseError as exc:
                failed.append(Failure(job, exc.code, exc.message))
            except Exception as exc:
                log.exception("parsing %s failed", job.file_id)
                failed.append(Failure(job, "server_error", f"The file could not be processed: {exc}"))
        try:
            self._index.embed([p for _job, p in prepared])
        except Exception as exc:
            log.exception("embedding failed")
            failed.extend(Failure(job, "server_error", f"Embedding failed: {exc}") for job, _p in prepared)
            prepared = []
        self._host.finish(prepared, failed)
