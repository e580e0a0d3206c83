"""The sandbox kernel: the container's PID 1, between the emulator and the model's code.

The model's code runs in a worker process (worker.py) that the kernel starts as the sandbox
user and supervises: the kernel enforces the time limit, captures output, stops processes the
code left behind, and moves files in and out of /mnt/data (see supervise.py, datafiles.py).
The user's code can change anything in the worker and nothing in the kernel.

Protocol: one JSON object per line; the emulator writes to stdin, the kernel answers on its
original stdout.

    {"id": 1, "code": "print(1)", "timeout": 30, "max_output": 65536}
    -> {"id": 1, "stdout": "1\\n", "stderr": "", "error": null, "images": [], "timed_out": false,
        "killed": false, "died": null, "files": [{"path": "out.csv", "size": 12}],
        "skipped": [{"path": "link", "reason": "..."}], "listing_cut": false, "data_size": 1073741824,
        "data_free": 1073729536}
    {"id": 2, "put": "report.txt", "data": "<base64>", "more": false}   (a file, in pieces)
    -> {"id": 2, "error": null}                                         (once, after the last piece)
    {"id": 3, "read": "out.csv", "limit": 52428800}
    -> {"id": 3, "data": "<base64>", "more": false}  (pieces)   or   {"id": 3, "error": "..."}
    {"interrupt": true}
"""

import base64
import errno
import json
import os
import select
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # `python3 -I` leaves the script's directory out
import supervise  # noqa: E402
from datafiles import DataDir, RefusedFile, changes  # noqa: E402

PROTOCOL = os.fdopen(os.dup(1), "w", buffering=1)
GRACE_S = 1.0  # after the worker's own alarm: interrupt; one more grace: kill
CHUNK = 1 << 20
MAX_REPLY = 192 << 20  # a worker reply (its images) larger than this ends the worker


class LineTooLong(Exception):
    pass


class Lines:
    """JSON lines from a non-blocking descriptor."""

    def __init__(self, fd: int, limit: int | None = None) -> None:
        self.fd, self.limit, self._buffer, self.closed = fd, limit, bytearray(), False

    def fill(self) -> list:
        try:
            chunk = os.read(self.fd, 1 << 20)
        except BlockingIOError:
            return []
        if not chunk:
            self.closed = True
            return []
        self._buffer += chunk
        *lines, rest = self._buffer.split(b"\n")
        self._buffer = bytearray(rest)
        if self.limit is not None and len(self._buffer) > self.limit:
            self._buffer.clear()  # the rest of that line then fails to parse and is ignored
            raise LineTooLong()
        found = []
        for line in lines:
            try:
                found.append(json.loads(line))
            except (ValueError, RecursionError):
                continue  # a worker's garbage is ignored (the emulator writes only JSON)
        return found


def emit(message: dict) -> None:
    PROTOCOL.write(json.dumps(message) + "\n")


class Kernel:
    def __init__(self) -> None:
        self.data = DataDir()
        self.captures = supervise.Captures()
        self.host = Lines(0)
        self.queued: list = []
        self.incoming: dict = {}  # put id -> [fd, temporary name, error]
        wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self.wake = wake_r
        signal.set_wakeup_fd(wake_w)  # SIGCHLD wakes select: a dead worker is noticed at once
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.worker = supervise.Worker(self.captures)
        self.replies = Lines(self.worker.replies, MAX_REPLY)

    def start(self) -> bool:
        """Wait for the worker to say it is ready, then freeze it until the first execution."""
        deadline = time.monotonic() + 30
        while self.worker.alive and time.monotonic() < deadline:
            host, worker = self._wait([self.worker.replies], deadline)
            self.queued += host
            if any(r.get("ready") for r in worker):
                self.worker.signal(signal.SIGSTOP)
                return True
        return False

    def _wait(self, extra: list, deadline: float) -> tuple[list, list]:
        """Wait for input until the deadline: (host messages, worker messages)."""
        timeout = max(0.0, deadline - time.monotonic())
        ready, _, _ = select.select([self.host.fd, self.wake, *extra], [], [], timeout)
        host, worker = [], []
        if self.wake in ready:
            while True:
                try:
                    if not os.read(self.wake, 4096):
                        break
                except BlockingIOError:
                    break
            supervise.reap(self.worker)
        if self.host.fd in ready:
            host = self.host.fill()
            if self.host.closed:
                sys.exit(0)  # the emulator is gone: so is this sandbox
        if self.worker.replies in ready and self.worker.replies in extra:
            worker = self.replies.fill()
        return host, worker

    def serve(self) -> None:
        while True:
            while self.queued:
                self.handle(self.queued.pop(0))
            host, _ = self._wait([], time.monotonic() + 3600)
            self.queued += host

    def handle(self, message: dict) -> None:
        if message.get("interrupt"):
            return  # nothing runs
        if "code" in message:
            emit(self.execute(message))
        elif "put" in message:
            self.put(message)
        elif "read" in message:
            self.read(message)

    # -- executions ----------------------------------------------------------------------
    def execute(self, request: dict) -> dict:
        reply = {"id": request.get("id"), "stdout": "", "stderr": "", "error": None, "images": [],
                 "timed_out": False, "killed": False, "died": None}
        if not self.worker.alive:
            reply["died"] = self.worker.death()
            return reply
        before, _ = self.data.listing()
        self.captures.clear()
        timeout = float(request.get("timeout", 60))
        # The request first, then the wake-up: the worker runs once, with its request already there.
        self.worker.send(json.dumps({"id": request.get("id"), "code": request["code"],
                                     "timeout": request.get("timeout", 60)}).encode() + b"\n")
        self.worker.signal(signal.SIGCONT)
        answer = self._await_worker(request.get("id"), timeout, reply)
        self.worker.signal(signal.SIGSTOP)
        supervise.kill_strays(self.worker)
        if answer is not None:
            reply.update(_checked(answer))
        if not self.worker.alive and not reply["killed"]:
            reply["died"] = self.worker.death()
        limit = int(request.get("max_output", 65536))
        reply["stdout"], reply["stderr"] = self.captures.read(limit)
        after, reply["listing_cut"] = self.data.listing()
        reply["files"], reply["skipped"] = changes(before, after)
        reply["data_size"], reply["data_free"] = self.data.usage()
        return reply

    def _await_worker(self, request_id, timeout: float, reply: dict) -> dict | None:
        """The worker's answer; None if it died or had to be killed (noted in `reply`)."""
        interrupt_at = time.monotonic() + timeout + GRACE_S
        kill_at = interrupt_at + GRACE_S
        while self.worker.alive:
            now = time.monotonic()
            if now >= kill_at:  # it ignored its alarm and the interrupt: end it
                reply["killed"] = True
                self.worker.signal(signal.SIGKILL)
                kill_at = now + 3600
            elif now >= interrupt_at:
                self.worker.signal(signal.SIGINT)
                interrupt_at = kill_at
            try:
                host, worker = self._wait([self.worker.replies], min(interrupt_at, kill_at))
            except LineTooLong:
                self.worker.kill_reason = f"its output (images) took more than {MAX_REPLY} bytes"
                self.worker.signal(signal.SIGKILL)
                continue
            for message in host:
                if message.get("interrupt"):
                    self.worker.signal(signal.SIGINT)
                else:
                    self.queued.append(message)
            for answer in worker:
                if answer.get("id") == request_id:
                    return answer
        return None

    # -- files in and out ----------------------------------------------------------------
    def put(self, message: dict) -> None:
        key = message.get("id")
        state = self.incoming.get(key)
        try:
            if state is None:
                state = self.incoming[key] = [*self.data.create_temporary(), None]
            if state[2] is None:
                data = memoryview(base64.b64decode(message.get("data", "")))
                while data:
                    data = data[os.write(state[0], data):]
        except OSError as exc:
            state = state or self.incoming.setdefault(key, [None, None, None])
            state[2] = _reason(exc)
        if message.get("more"):
            return
        fd, temporary, error = self.incoming.pop(key)
        if fd is not None:
            os.close(fd)
        if error is None:
            try:
                self.data.put_in_place(temporary, str(message["put"]))
            except (OSError, RefusedFile) as exc:
                error = _reason(exc)
        elif temporary is not None:
            self.data.discard(temporary)
        emit({"id": key, "error": error})

    def read(self, message: dict) -> None:
        try:
            data = self.data.read(str(message["read"]), int(message["limit"]))
        except RefusedFile as exc:
            emit({"id": message.get("id"), "error": str(exc)})
            return
        for start in range(0, max(len(data), 1), CHUNK):
            emit({"id": message.get("id"), "data": base64.b64encode(data[start:start + CHUNK]).decode(),
                  "more": start + CHUNK < len(data)})


def _checked(answer: dict) -> dict:
    """Only the fields a worker may set, of the types they must have: the worker is not trusted."""
    error, images = answer.get("error"), answer.get("images")
    return {"error": error if isinstance(error, str) or error is None else str(error),
            "images": [i for i in images if isinstance(i, str)] if isinstance(images, list) else [],
            "timed_out": answer.get("timed_out") is True}


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "No space left on device"
    return str(exc) if isinstance(exc, RefusedFile) else (exc.strerror or str(exc))


def main() -> None:
    if os.getpid() != 1:
        # Stopping "every other process" is only safe in the sandbox's own PID namespace.
        emit({"ready": False, "error": "the kernel must be PID 1 of its own container (or PID namespace)"})
        return
    os.umask(0o022)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the kernel's own stray writes go nowhere, never into the protocol
    os.set_blocking(0, False)
    kernel = Kernel()
    if not kernel.start():
        emit({"ready": False, "error": f"the worker did not start ({kernel.worker.death()})"})
        return
    emit({"ready": True, "pid": os.getpid(), "separated": kernel.worker.separated})
    kernel.serve()


if __name__ == "__main__":
    main()
