"""Sandboxes whose server is gone: how a running server says it runs, and `assistants-emulator sandbox prune`.

A server holds an advisory lock on `<data_dir>/sandboxes/.server.lock` while it runs (the
operating system drops it when the process ends, however it ends), and its containers carry the
data dir as a label. So a container whose data dir is not locked belongs to no running server.
Containers made by older emulators have no such label: those are removed once they have been
stopped for a minute (a running server removes its own stopped containers at once, and a running
container still has its server on the other end of its stdin).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from emulator.tools.code_interpreter.docker import docker_sync

LABEL = "assistants-emulator.sandbox"
OWNER_LABEL = "assistants-emulator.owner"
DATA_DIR_LABEL = "assistants-emulator.data-dir"
LOCK_NAME = ".server.lock"
_LEGACY_GRACE_S = 60.0


class ServerLock:
    """Held by a running server on its data dir's sandboxes directory."""

    def __init__(self, sandboxes_dir: Path) -> None:
        self._path = sandboxes_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self, wait_s: float = 30.0) -> bool:
        """Blocking (a prune may hold it for a moment); False if another process keeps it."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._fd = fd
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    return False
                time.sleep(0.1)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None


@dataclass
class Pruned:
    removed: list[str] = field(default_factory=list)
    servers: set[str] = field(default_factory=set)
    leftovers: int = 0
    kept: int = 0

    def summary(self) -> str:
        if not self.removed and not self.leftovers:
            return f"nothing to remove (kept {self.kept} container(s) of running servers)"
        where = f" of {len(self.servers)} stopped server(s) ({', '.join(sorted(self.servers))})" if self.servers else ""
        return (f"removed {len(self.removed)} sandbox container(s){where} and {self.leftovers} leftover file(s); "
                f"kept {self.kept} container(s) of running servers")


def prune(data_dir: Path | None = None) -> Pruned:
    """Remove the sandboxes (and their leftover files) of servers that no longer run."""
    result = Pruned()
    held: list[ServerLock] = []
    try:
        doomed: list[str] = []
        for container in _containers():
            directory = container["data_dir"]
            if data_dir is not None and directory != str(data_dir.resolve()):
                continue
            if _belongs_to_stopped_server(container, held, result):
                doomed.append(container["id"])
            else:
                result.kept += 1
        if doomed:
            docker_sync("rm", "-f", *doomed, timeout=300, check=False)
            result.removed = doomed
        if data_dir is not None and data_dir.is_dir() and str(data_dir.resolve()) not in result.servers:
            lock = ServerLock(data_dir / "sandboxes")
            if lock.acquire(wait_s=0):
                held.append(lock)
                result.servers.add(str(data_dir.resolve()))
        for directory in result.servers:  # still locked by us: no server can start there meanwhile
            result.leftovers += _remove_leftovers(Path(directory) / "sandboxes")
    finally:
        for lock in held:
            lock.release()
    return result


def _belongs_to_stopped_server(container: dict, held: list[ServerLock], result: Pruned) -> bool:
    directory = container["data_dir"]
    if not directory:  # made by an emulator without the label
        if container["state"] == "running":
            return False
        since, mounts = _legacy_state(container["id"])
        if since <= _LEGACY_GRACE_S:
            return False
        for mount in mounts:  # its host directory (and log), which that emulator bind-mounted
            shutil.rmtree(mount, ignore_errors=True)
            mount.with_name(mount.name + ".log").unlink(missing_ok=True)
            result.leftovers += 1
        return True
    if directory in result.servers:
        return True
    sandboxes = Path(directory) / "sandboxes"
    if not sandboxes.is_dir():
        result.servers.add(directory)  # its data dir is gone
        return True
    lock = ServerLock(sandboxes)
    try:
        if not lock.acquire(wait_s=0):
            return False
    except OSError:  # not ours to lock: leave it alone
        return False
    held.append(lock)
    result.servers.add(directory)
    return True


def _containers() -> list[dict]:
    listed = docker_sync("ps", "-a", "--filter", f"label={LABEL}=1", "--format",
                         f'{{{{.ID}}}}\t{{{{.State}}}}\t{{{{.Label "{DATA_DIR_LABEL}"}}}}', timeout=60)
    found = []
    for line in listed.stdout.splitlines():
        container_id, state, directory = (line.split("\t") + ["", ""])[:3]
        found.append({"id": container_id, "state": state, "data_dir": directory})
    return found


def _legacy_state(container_id: str) -> tuple[float, list[Path]]:
    """Seconds since the container stopped (or was made, if it never ran), and its old-style mount directories."""
    out = docker_sync("inspect", "--format", "{{.State.FinishedAt}} {{.Created}} {{range .Mounts}}{{.Source}} {{end}}",
                      container_id, check=False).stdout.split()
    since = 0.0
    for stamp in out[:2]:
        try:
            when = datetime.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            continue
        if when.year > 1:  # a container that never stopped reports year 1
            since = time.time() - when.timestamp()
            break
    mounts = [Path(m) for m in out[2:] if Path(m).parent.name == "sandboxes"]
    return since, mounts


def _remove_leftovers(sandboxes: Path) -> int:
    """Logs and old-style mount directories in a stopped server's sandboxes directory."""
    removed = 0
    if not sandboxes.is_dir():
        return 0
    for entry in sandboxes.iterdir():
        if entry.name == LOCK_NAME:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed
