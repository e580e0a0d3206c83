"""Runs `extraction.extract` in a child process, so one file's parse is bounded in time and memory.

One long-lived child serves the ingestion worker's files one at a time (a pipe
round trip per file, not a process start). A file that takes longer than the
timeout gets the child killed and fails with `invalid_file`; the next file
starts a fresh child. `close()` (server shutdown) kills the child at once and
makes the waiting call raise `Interrupted`, so the file stays `in_progress` and
is ingested again at the next start.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import emulator
from emulator.tools.file_search.extraction import HEADER, READY, Extracted, Limits
from emulator.tools.file_search.parsing import ParseError

log = logging.getLogger(__name__)

_START_TIMEOUT_S = 60.0  # importing the readers on a busy machine; not charged to any file


class Interrupted(Exception):
    """Ingestion was stopped (server shutdown): the file is neither done nor failed."""


class _Timeout(Exception):
    pass


class Extractor:
    def __init__(self, timeout_s: float, memory_mb: int) -> None:
        self._timeout_s = timeout_s
        self._memory_bytes = memory_mb * 1024 * 1024
        self._lock = threading.Lock()  # one file at a time through the one child
        self._process: subprocess.Popen | None = None
        self._ready = False  # the current child has said it is ready
        self._closed = False

    def extract(self, filename: str, data: bytes, strategy: dict, limits: Limits) -> Extracted:
        """The file's text and chunks; ParseError when it cannot be indexed; Interrupted after `close()`."""
        request = pickle.dumps((filename, data, strategy, limits), protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            process = self._running()
            try:
                assert process.stdin is not None
                process.stdin.write(HEADER.pack(len(request)) + request)
                process.stdin.flush()
                reply = pickle.loads(self._receive(process, time.monotonic() + self._timeout_s))
            except _Timeout:
                self._kill(process)
                raise ParseError("invalid_file", f"Reading the file took longer than {self._timeout_s:g} s, the limit "
                                                 "per file (the setting file_search_parse_timeout_s).") from None
            except (OSError, EOFError, ValueError) as exc:
                status = self._kill(process)
                if self._closed:
                    raise Interrupted() from None
                message = (f"The file could not be read: the process reading it ended ({status}), most likely out "
                           "of memory (the setting file_search_parse_memory_mb).")
                raise ParseError("invalid_file", message) from exc
        if reply[0] == "ok":
            return reply[1]
        raise ParseError(reply[1], reply[2])

    def warm(self) -> None:
        """Start the child now if none runs (it takes a second or two to import its readers), without waiting
        for it: called when a file is queued, so the child starts while the file waits its turn."""
        if self._closed or not self._lock.acquire(blocking=False):
            return
        try:
            if self._process is None or self._process.poll() is not None:
                self._spawn()
        finally:
            self._lock.release()

    def close(self) -> None:
        """Stop for good: kill the child now, even mid-file (called from another thread)."""
        self._closed = True
        process = self._process
        if process is None:
            return
        try:
            process.kill()  # a call waiting on it sees the pipe close, and cleans up itself
        except OSError:
            pass
        if self._lock.acquire(blocking=False):  # no call in flight: clean up here
            try:
                self._kill(process)
            finally:
                self._lock.release()

    # -- the child ---------------------------------------------------------------------------------
    def _spawn(self) -> subprocess.Popen:
        package_root = str(Path(emulator.__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        # `-c`, not `-m`: the module must keep its own name, so what it pickles is read back as the same classes.
        code = f"from emulator.tools.file_search.extraction import main; main({self._memory_bytes})"
        self._process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         env=env)
        self._ready = False
        return self._process

    def _running(self) -> subprocess.Popen:
        """The child, started if need be, once it has said it is ready."""
        if self._closed:
            raise Interrupted()
        process = self._process
        if process is None or process.poll() is not None:
            process = self._spawn()
        if self._ready:
            return process
        if self._closed:  # close() ran while it started
            self._kill(process)
            raise Interrupted()
        try:
            ready = self._read(process, len(READY), time.monotonic() + _START_TIMEOUT_S)
        except (_Timeout, EOFError) as exc:
            self._kill(process)
            if self._closed:
                raise Interrupted() from None
            raise RuntimeError(f"the file parser process did not start ({exc!r})") from None
        if ready != READY:
            self._kill(process)
            raise RuntimeError(f"the file parser process said {ready!r} instead of being ready")
        self._ready = True
        return process

    def _receive(self, process: subprocess.Popen, deadline: float) -> bytes:
        size = HEADER.unpack(self._read(process, HEADER.size, deadline))[0]
        return self._read(process, size, deadline)

    @staticmethod
    def _read(process: subprocess.Popen, size: int, deadline: float) -> bytes:
        """Exactly `size` bytes from the child, or _Timeout at `deadline`, or EOFError if it died."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        parts, left = [], size
        while left:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise _Timeout()
            if not select.select([fd], [], [], wait)[0]:
                continue
            part = os.read(fd, min(left, 1 << 20))
            if not part:
                raise EOFError("the parser process ended")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def _kill(self, process: subprocess.Popen) -> str:
        """Kill and reap the child; describes how it ended."""
        try:
            process.kill()
        except OSError:
            pass
        try:
            code = process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            return "it could not be stopped"
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        if self._process is process:
            self._process = None
        return f"exit status {code}"
