"""Background ingestion: worker threads turn queued files into searchable chunks.

The server is one asyncio process; parsing and embedding are CPU work, so they
run on threads, never on the event loop. Files are taken in groups (every file
queued, up to a limit) and all their windows embedded together: batching is what
makes a small CPU fast. Whether a file is still wanted, and what happens when it
is done or failed, is the owner's business (the vector store service), through
`IngestionHost`.

Stopping (server shutdown) takes a moment, not the rest of the work in hand: a
parse in progress is killed, embedding stops between slices, and groups not yet
committed are dropped. Their files stay `in_progress` in the database and are
ingested again at the next start, exactly as after a crash.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from emulator.tools.file_search.extractor import Interrupted
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


@dataclass
class _Group:
    jobs: list[IngestJob]
    prepared: list[tuple[IngestJob, PreparedFile]]
    failed: list[Failure]
    interrupted: bool = False
    """A step was stopped part-way (shutdown): the group must not be committed."""


class IngestionWorker:
    """Three threads in a pipeline, so parsing, embedding and writing overlap:
    prepare (parse, chunk, cut windows) -> embed (the model) -> commit (database, Chroma, statuses)."""

    def __init__(self, index: FileSearchIndex, host: IngestionHost, *, group_files: int = 64,
                 group_bytes: int = 8 << 20) -> None:
        self._index = index
        self._host = host
        self._group_files, self._group_bytes = group_files, group_bytes
        self._jobs: queue.Queue[IngestJob | None] = queue.Queue()
        # Small hand-over queues: a stage runs at most two groups ahead of the next.
        self._to_embed: queue.Queue[_Group | None] = queue.Queue(maxsize=2)
        self._to_commit: queue.Queue[_Group | None] = queue.Queue(maxsize=2)
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def start(self) -> None:
        for name, stage in (("prepare", self._prepare_stage), ("embed", self._embed_stage),
                            ("commit", self._commit_stage)):
            thread = threading.Thread(target=stage, name=f"file_search {name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def halt(self) -> None:
        """Stop work now, without waiting: work not yet committed is dropped, its files stay `in_progress`
        and resume at the next start. A commit already under way finishes (it is short)."""
        self._stopping.set()
        self._index.close()

    def stop(self, timeout_s: float = 2.0) -> None:
        """`halt`, then wait for the threads to end. The threads are daemons: one still busy after
        `timeout_s` is cut off at exit, which the next start recovers from as from a crash."""
        self.halt()
        self._jobs.put(None)
        deadline = time.monotonic() + timeout_s
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                log.warning("%s still busy at shutdown; its files are ingested again at the next start", thread.name)
        self._threads = []

    def submit(self, job: IngestJob) -> None:
        self._index.warm()
        self._jobs.put(job)

    # -- stages ------------------------------------------------------------------------------------
    # Once stopping, each stage drops what it holds and passes only the end marker on.
    def _dropped(self, group: _Group) -> bool:
        return group.interrupted or self._stopping.is_set()

    def _prepare_stage(self) -> None:
        while (group := self._take_group()) is not None:
            group = self._guarded(group, self._prepare)
            if self._dropped(group):
                break
            self._to_embed.put(group)
        self._to_embed.put(None)

    def _embed_stage(self) -> None:
        while (group := self._to_embed.get()) is not None:
            if not self._dropped(group):
                group = self._guarded(group, self._embed)
            if not self._dropped(group):
                self._to_commit.put(group)
        self._to_commit.put(None)

    def _commit_stage(self) -> None:
        while (group := self._to_commit.get()) is not None:
            if self._dropped(group):
                continue
            try:
                self._host.finish(group.prepared, group.failed)
            except Exception as exc:  # never leave files in progress: try to record them as failed
                log.exception("recording ingestion results failed")
                if not self._stopping.is_set():  # stopping: they stay in progress, for the next start
                    self._fail_all(group, exc)

    def _take_group(self) -> _Group | None:
        """The next jobs: one (waiting for it), then whatever else is queued, up to the group limits."""
        job = self._jobs.get()
        if job is None or self._stopping.is_set():
            return None
        jobs = [job]
        while len(jobs) < self._group_files:
            try:
                more = self._jobs.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._jobs.put(None)  # seen again after this group
                break
            jobs.append(more)
        return _Group(jobs, [], [])

    def _guarded(self, group: _Group, step) -> _Group:
        try:
            step(group)
        except Exception as exc:  # a bug must neither end the thread nor leave its files in progress
            log.exception("file_search ingestion failed")
            group.failed = [Failure(j, "server_error", f"Ingestion failed: {exc}") for j in group.jobs]
            group.prepared = []
        return group

    def _fail_all(self, group: _Group, exc: Exception) -> None:
        try:
            self._host.finish([], [Failure(j, "server_error", f"Ingestion failed: {exc}") for j in group.jobs])
        except Exception:
            log.exception("recording the failure failed too")

    def _prepare(self, group: _Group) -> None:
        size = 0
        for position, job in enumerate(group.jobs):
            if size > self._group_bytes:  # big files: the rest waits for the next group
                for later in group.jobs[position:]:
                    self._jobs.put(later)
                group.jobs = group.jobs[:position]
                break
            try:
                found = self._host.job_input(job)
                if found is None:
                    continue
                size += len(found.data)
                group.prepared.append((job, self._index.prepare(job.vector_store_id, job.file_id, found.filename,
                                                                found.data, found.strategy)))
            except Interrupted:
                group.interrupted = True
                return
            except ParseError as exc:
                group.failed.append(Failure(job, exc.code, exc.message))
            except Exception as exc:
                log.exception("preparing %s failed", job.file_id)
                group.failed.append(Failure(job, "server_error", f"The file could not be processed: {exc}"))

    def _embed(self, group: _Group) -> None:
        try:
            self._index.embed([p for _job, p in group.prepared])
        except Interrupted:
            group.interrupted = True
            return
        except Exception as exc:
            log.exception("embedding failed")
            group.failed.extend(Failure(job, "server_error", f"Embedding failed: {exc}") for job, _p in group.prepared)
            group.prepared = []
