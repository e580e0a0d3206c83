"""One sandbox: a locked-down container whose kernel keeps Python state between executions.

The kernel is the container's main process; it runs the model's code in a worker process it
supervises (see sandbox_image/kernel.py). The emulator talks to the kernel over the container's
stdin/stdout (kept open by `docker run -i`), so an execution costs a pipe round trip, not a
`docker exec`. `/mnt/data` is a size-limited tmpfs inside the container: files go in and come
out through the same channel, and the host never opens a path the sandbox could have chosen.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from emulator.sandbox_seed import sandbox_env
from emulator.settings import Settings
from emulator.tools.code_interpreter.docker import DockerError, docker, docker_path
from emulator.tools.code_interpreter.limits import parse_size

log = logging.getLogger(__name__)

SANDBOX_UID = 1000
_STREAM_LIMIT = 256 * 1024 * 1024  # one protocol line carries every image of an execution
_CHUNK = 1 << 20  # file pieces on the channel
_KERNEL_GRACE_S = 2.0  # the kernel interrupts, then kills, the worker within this after the timeout
_TRANSFER_TIMEOUT_S = 120.0
# The kernel stays root with only these: start the worker as uid 1000 (SETUID, SETGID), stop it and
# what it starts (KILL), and move files in and out of /mnt/data whatever modes the code gave them
# (DAC_OVERRIDE, FOWNER, CHOWN). The worker drops every capability with uid 0.
_KERNEL_CAPABILITIES = ("SETUID", "SETGID", "KILL", "DAC_OVERRIDE", "FOWNER", "CHOWN")


@dataclass
class Execution:
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    images: list[bytes] = field(default_factory=list)
    timed_out: bool = False
    session_died: bool = False
    files: list[dict] = field(default_factory=list)
    """Regular files new or changed under /mnt/data: {"path" (relative), "size"}, sorted by path."""
    skipped: list[dict] = field(default_factory=list)
    """Other new entries (links, pipes...): {"path", "reason"}."""
    listing_cut: bool = False
    data_size: int = 0
    data_free: int = 0


class SandboxFileError(Exception):
    """The kernel refused to read or write a file (the message says why)."""


def container_memory(settings: Settings) -> int:
    """The container's memory limit: the code's memory plus room for a full /mnt/data (tmpfs pages count too)."""
    return parse_size(settings.sandbox_memory) + parse_size(settings.sandbox_data_size)


def run_arguments(settings: Settings, name: str, labels: dict[str, str], image: str) -> list[str]:
    """`docker run` flags: no network, read-only root, few capabilities, bounded resources."""
    memory = str(container_memory(settings))
    args = ["run", "-i", "--name", name, "--network", "none", "--read-only",
            "--tmpfs", f"/tmp:rw,nosuid,nodev,size={settings.sandbox_tmp_size},mode=1777",
            "--tmpfs", (f"/mnt/data:rw,nosuid,nodev,size={settings.sandbox_data_size},"
                        f"uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0755"),
            "--cap-drop", "ALL", *[f"--cap-add={c}" for c in _KERNEL_CAPABILITIES],
            "--security-opt", "no-new-privileges", "--user", "0:0",
            "--memory", memory, "--memory-swap", memory,
            "--cpus", str(settings.sandbox_cpus), "--pids-limit", str(settings.sandbox_pids_limit)]
    for key, value in {"PYTHONHASHSEED": "0", **sandbox_env(settings)}.items():
        args += ["-e", f"{key}={value}"]
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    return [*args, image]


class SandboxSession:
    def __init__(self, name: str, log_path: Path, process: asyncio.subprocess.Process, settings: Settings) -> None:
        self.name = name
        self.log_path = log_path
        self._process = process
        self._settings = settings
        self._lock = asyncio.Lock()
        self._next_id = 0
        self.alive = True
        self.last_used = time.monotonic()
        self.copied_file_ids: set[str] = set()

    @classmethod
    async def start(cls, settings: Settings, image: str, name: str, labels: dict[str, str],
                    log_path: Path) -> "SandboxSession":
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as stderr_log:
            process = await asyncio.create_subprocess_exec(
                docker_path(), *run_arguments(settings, name, labels, image),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr_log,
                limit=_STREAM_LIMIT,
            )
        session = cls(name, log_path, process, settings)
        assert process.stdout is not None  # started with stdout=PIPE
        try:
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            ready = json.loads(line) if line else {}
            if not ready.get("ready"):
                raise DockerError(f"sandbox {name} did not start: {ready.get('error') or session.docker_log()}")
        except (TimeoutError, ValueError):
            await session.close()
            raise DockerError(f"sandbox {name} did not start in time: {session.docker_log()}") from None
        except DockerError:
            await session.close()
            raise
        except asyncio.CancelledError:  # the run was stopped (server shutdown) while its sandbox started
            await session.close()
            raise
        if not ready.get("separated"):
            log.warning("sandbox %s: the kernel is not root, so the model's code runs as the kernel's user", name)
        return session

    @property
    def busy(self) -> bool:
        """An execution or a file transfer is running (an idle sweep must not stop it)."""
        return self._lock.locked()

    def docker_log(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:].strip() if self.log_path.exists() else ""

    # -- executions ----------------------------------------------------------------------
    async def execute(self, code: str, timeout_s: float) -> Execution:
        async with self._lock:
            self.last_used = time.monotonic()
            try:
                return await self._execute(code, timeout_s)
            finally:
                self.last_used = time.monotonic()

    async def _execute(self, code: str, timeout_s: float) -> Execution:
        request = {"id": self._new_id(), "code": code, "timeout": timeout_s,
                   "max_output": self._settings.sandbox_max_output_bytes}
        try:
            await self._send([request])
            # The kernel stops the code itself; this wait only covers a kernel that cannot.
            line = await self._read_line(timeout_s + 2 * _KERNEL_GRACE_S + 10)
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if line is None:
            await self.close()
            return self._killed(timeout_s)
        if not line:
            reason = await self._death_reason()
            await self.close()
            return Execution(session_died=True, error=f"The Python kernel died ({reason}); its state is lost.")
        reply = await _parse(line)
        if reply.get("killed"):
            await self.close()
            return self._killed(timeout_s)
        if reply.get("died"):
            reason = self._describe_death(reply["died"])
            await self.close()
            return Execution(stdout=reply["stdout"], stderr=reply["stderr"], session_died=True,
                             error=f"The Python kernel died ({reason}); its state is lost.")
        images = await asyncio.to_thread(lambda: [base64.b64decode(i) for i in reply["images"]])
        return Execution(stdout=reply["stdout"], stderr=reply["stderr"], error=reply["error"], images=images,
                         timed_out=reply["timed_out"], files=reply["files"], skipped=reply["skipped"],
                         listing_cut=reply["listing_cut"], data_size=reply["data_size"],
                         data_free=reply["data_free"])

    @staticmethod
    def _killed(timeout_s: float) -> Execution:
        return Execution(timed_out=True, session_died=True, error=(
            f"Execution did not stop within {timeout_s:.0f} s, even when interrupted; the sandbox was killed "
            "and its state (variables, files) is lost."))

    def _describe_death(self, died: str) -> str:
        if died == "oom":
            return (f"out of memory: the sandbox may use {self._settings.sandbox_memory} of memory, "
                    f"plus {self._settings.sandbox_data_size} for /mnt/data")
        return died

    # -- files ---------------------------------------------------------------------------
    async def put(self, name: str, data: bytes) -> None:
        """Write a file into /mnt/data (the kernel replaces whatever had the name, never following a link)."""
        async with self._lock:
            self.last_used = time.monotonic()
            key = self._new_id()
            pieces = await asyncio.to_thread(_pieces, key, name, data)
            reply = await self._transfer(pieces)
            if reply.get("error"):
                raise SandboxFileError(reply["error"])

    async def read(self, path: str, limit: int) -> bytes:
        """A regular file under /mnt/data (relative path), at most `limit` bytes; links and pipes are refused."""
        async with self._lock:
            self.last_used = time.monotonic()
            key = self._new_id()
            reply = await self._transfer([{"id": key, "read": path, "limit": limit}])
            pieces = [reply]
            while reply.get("more"):
                reply = await self._reply()
                pieces.append(reply)
            if reply.get("error"):
                raise SandboxFileError(reply["error"])
            return await asyncio.to_thread(lambda: b"".join(base64.b64decode(p["data"]) for p in pieces))

    async def _transfer(self, messages: list[dict]) -> dict:
        try:
            await self._send(messages)
        except (BrokenPipeError, ConnectionResetError):
            await self.close()
            raise SandboxFileError("the sandbox is gone") from None
        return await self._reply()

    async def _reply(self) -> dict:
        line = await self._read_line(_TRANSFER_TIMEOUT_S)
        if not line:
            await self.close()
            raise SandboxFileError("the sandbox stopped answering")
        return await _parse(line)

    # -- the channel ---------------------------------------------------------------------
    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def _send(self, messages: list[dict]) -> None:
        assert self._process.stdin is not None
        for message in messages:
            self._process.stdin.write((json.dumps(message) + "\n").encode())
            await self._process.stdin.drain()

    async def _read_line(self, timeout_s: float) -> bytes | None:
        """The next protocol line; b"" when the kernel is gone; None on timeout."""
        assert self._process.stdout is not None
        try:
            return await asyncio.wait_for(self._process.stdout.readline(), timeout_s)
        except TimeoutError:
            return None

    async def _death_reason(self) -> str:
        try:
            state = await docker("inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", self.name,
                                 timeout=20)
            oom, code = state.stdout.split()
            if oom == "true" or code == "137":
                return self._describe_death("oom")
            return f"exit code {code}"
        except (DockerError, ValueError):
            return "the container stopped"

    async def memory_bytes(self) -> int:
        result = await docker("stats", "--no-stream", "--format", "{{.MemUsage}}", self.name, timeout=30)
        used = result.stdout.split("/")[0].strip()
        units = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "kB": 1000, "MB": 1000**2, "GB": 1000**3}
        for unit in sorted(units, key=len, reverse=True):
            if used.endswith(unit):
                return int(float(used[: -len(unit)]) * units[unit])
        return int(float(used))

    async def close(self) -> None:
        """Stop and remove the container (its /mnt/data goes with it)."""
        self.alive = False
        try:
            await docker("rm", "-f", self.name, timeout=60, check=False)
        except (DockerError, OSError):
            log.warning("could not remove sandbox container %s", self.name)
        if self._process.returncode is None:
            try:
                self._process.kill()
            except ProcessLookupError:
                pass
        await self._process.wait()
        self.log_path.unlink(missing_ok=True)


def _pieces(key: int, name: str, data: bytes) -> list[dict]:
    starts = range(0, max(len(data), 1), _CHUNK)
    return [{"id": key, "put": name, "data": base64.b64encode(data[s:s + _CHUNK]).decode(),
             "more": s + _CHUNK < len(data)} for s in starts]


async def _parse(line: bytes) -> dict:
    # Large lines (images, file pieces, long listings) are parsed off the event loop.
    return await asyncio.to_thread(json.loads, line) if len(line) > 65536 else json.loads(line)
