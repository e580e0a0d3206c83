"""The kernel's hold on the worker: starting it unprivileged, freezing it, stopping every other process.

The worker runs as the sandbox user (uid 1000) with no capabilities, while the kernel stays root
with CAP_KILL: the worker and anything it starts can neither signal nor trace the kernel, and
the kernel can stop all of them. Between executions the worker is frozen (SIGSTOP), so no thread
of the user's code runs while the kernel lists, reads or writes /mnt/data.
"""

import fcntl
import os
import signal
import sys
import time

SANDBOX_UID = 1000
WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")
CAPTURE_DIR = "/tmp/.kernel"
_OOM_COUNTERS = ("/sys/fs/cgroup/memory.events", "/sys/fs/cgroup/memory/memory.oom_control")


class Captures:
    """The files the worker's stdout and stderr go to; only the kernel can open them by name."""

    def __init__(self) -> None:
        os.makedirs(CAPTURE_DIR, mode=0o700, exist_ok=True)  # root's: the worker cannot swap them
        flags = os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC
        self.out = os.open(f"{CAPTURE_DIR}/out", flags, 0o600)
        self.err = os.open(f"{CAPTURE_DIR}/err", flags, 0o600)

    def clear(self) -> None:
        # O_APPEND: writes land at the (new) end, whatever offset the worker's descriptors hold.
        os.ftruncate(self.out, 0)
        os.ftruncate(self.err, 0)

    def read(self, limit: int) -> tuple[str, str]:
        return _capped(self.out, limit), _capped(self.err, limit)


def _capped(fd: int, limit: int) -> str:
    data = os.pread(fd, limit + 1, 0)
    text = data[:limit].decode("utf-8", errors="replace")
    if len(data) > limit:
        text += f"\n[output truncated: more than {limit} bytes]"
    return text


class Worker:
    """The worker process: its pipes, whether it still lives, and how it ended."""

    def __init__(self, captures: Captures) -> None:
        self.status: int | None = None  # set once reaped
        self.kill_reason: str | None = None  # set when the kernel ends it for a reason of its own
        self.oom_kills_at_start = oom_kills()
        self.separated = os.geteuid() == 0
        requests_r, self.requests = os.pipe()
        self.replies, replies_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            _become_worker(captures, requests_r, replies_w, self.separated)
        os.close(requests_r)
        os.close(replies_w)
        fcntl.fcntl(self.replies, fcntl.F_SETFL, os.O_NONBLOCK)

    @property
    def alive(self) -> bool:
        return self.status is None

    def send(self, line: bytes) -> None:
        view = memoryview(line)
        while view:  # requests are small; a worker that stops reading is killed by the deadline
            view = view[os.write(self.requests, view):]

    def signal(self, signum: int) -> None:
        if self.alive:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                pass

    def death(self) -> str:
        """Why the worker ended, for the model ("oom": the memory limit)."""
        if self.kill_reason:
            return self.kill_reason
        kills, status = oom_kills(), self.status
        if kills is not None and self.oom_kills_at_start is not None and kills > self.oom_kills_at_start:
            return "oom"
        if status is not None and os.WIFEXITED(status):
            return f"exit code {os.WEXITSTATUS(status)}"
        if status is not None and os.WIFSIGNALED(status):
            if os.WTERMSIG(status) == signal.SIGKILL and kills is None:
                return "oom"  # no counter to ask; an out-of-memory kill is by far the likeliest SIGKILL
            return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
        return "it stopped"


def _become_worker(captures: Captures, requests_r: int, replies_w: int, drop: bool) -> None:
    """In the forked child: the worker's descriptors, the sandbox user, then the worker program."""
    try:
        devnull = os.open(os.devnull, os.O_RDONLY)
        # Copied high first, so no dup2 below overwrites a descriptor still to be copied.
        sources = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for fd in (devnull, captures.out, captures.err,
                                                                     requests_r, replies_w)]
        for target, source in enumerate(sources):
            os.dup2(source, target)  # inheritable; everything else the kernel opened is close-on-exec
        if drop:
            os.setgroups([])
            os.setresgid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
            os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)  # all capabilities go with uid 0
        os.chdir("/mnt/data")
        os.execv(sys.executable, [sys.executable, "-I", WORKER])
    finally:
        os._exit(127)


def oom_kills() -> int | None:
    """Out-of-memory kills in this container's memory cgroup so far (cgroup v2 or v1); None if unknown."""
    for path in _OOM_COUNTERS:
        try:
            with open(path) as handle:
                for line in handle:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except (OSError, ValueError):
            continue
    return None


def reap(worker: Worker) -> None:
    """Collect exited children (as PID 1 the kernel inherits every orphan); note the worker's end."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == worker.pid:
            worker.status = status


def kill_strays(worker: Worker) -> None:
    """Stop every process but the kernel and the worker: nothing the code started outlives its execution."""
    if os.getpid() != 1:  # outside its own PID namespace "every process" would be the host's
        return
    keep = {1, worker.pid}
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        others = [pid for pid in _pids() if pid not in keep and not _is_zombie(pid)]
        if not others:
            return
        for sig in (signal.SIGSTOP, signal.SIGKILL):  # freeze first, so nothing forks while we kill
            for pid in others:
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    pass
        reap(worker)
        time.sleep(0.002)


def _pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def _is_zombie(pid: int) -> bool:
    # A killed child of the worker stays a zombie until the worker collects it (at its next execution).
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rpartition(b")")[2][1:2] in (b"Z", b"X")
    except OSError:
        return True
