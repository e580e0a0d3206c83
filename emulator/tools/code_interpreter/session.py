"""One sandbox: a locked-down container whose kernel keeps Python state between executions.

The kernel is the container's main process; the emulator talks to it over the container's
stdin/stdout (kept open by `docker run -i`), so an execution costs a pipe round trip, not a
`docker exec`. `/mnt/data` is a host directory bind-mounted into the container.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from emulator.sandbox_seed import sandbox_env
from emulator.settings import Settings
from emulator.tools.code_interpreter.docker import DockerError, docker, docker_path

log = logging.getLogger(__name__)

SANDBOX_UID = 1000
_STREAM_LIMIT = 256 * 1024 * 1024  # one protocol line carries every image of an execution
_GRACE_S = 3.0


@dataclass
class Execution:
    stdout: str = ""
    stderr: str = ""
    error: str | None = None
    images: list[bytes] = field(default_factory=list)
    timed_out: bool = False
    session_died: bool = False


def run_arguments(settings: Settings, name: str, labels: dict[str, str], host_dir: Path, image: str) -> list[str]:
    """`docker run` flags: no network, read-only root, no capabilities, non-root, bounded resources."""
    args = ["run", "-i", "--name", name, "--network", "none", "--read-only",
            "--tmpfs", f"/tmp:rw,nosuid,nodev,size={settings.sandbox_tmp_size},mode=1777",
            "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
            "--user", f"{SANDBOX_UID}:{SANDBOX_UID}",
            "--memory", settings.sandbox_memory, "--memory-swap", settings.sandbox_memory,
            "--cpus", str(settings.sandbox_cpus), "--pids-limit", str(settings.sandbox_pids_limit),
            "-v", f"{host_dir}:/mnt/data:rw"]
    for key, value in {"PYTHONHASHSEED": "0", **sandbox_env(settings)}.items():
        args += ["-e", f"{key}={value}"]
    for key, value in labels.items():
        args += ["--label", f"{key}={value}"]
    return [*args, image]


class SandboxSession:
    def __init__(self, name: str, host_dir: Path, process: asyncio.subprocess.Process, settings: Settings) -> None:
        self.name = name
        self.host_dir = host_dir
        self._process = process
        self._settings = settings
        self._lock = asyncio.Lock()
        self._next_id = 0
        self.alive = True
        self.last_used = time.monotonic()
        self.copied_file_ids: set[str] = set()

    @classmethod
    async def start(cls, settings: Settings, image: str, name: str, labels: dict[str, str],
                    host_dir: Path) -> "SandboxSession":
        host_dir.mkdir(parents=True, exist_ok=True)
        _give_to_sandbox_user(host_dir)
        stderr_log = (host_dir.parent / f"{name}.log").open("ab")
        process = await asyncio.create_subprocess_exec(
            docker_path(), *run_arguments(settings, name, labels, host_dir, image),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=stderr_log, limit=_STREAM_LIMIT,
        )
        stderr_log.close()
        session = cls(name, host_dir, process, settings)
        try:
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            if not line or not json.loads(line).get("ready"):
                raise DockerError(f"sandbox {name} did not start: {session.docker_log()}")
        except (asyncio.TimeoutError, ValueError):
            await session.close()
            raise DockerError(f"sandbox {name} did not start in time: {session.docker_log()}") from None
        except DockerError:
            await session.close()
            raise
        except asyncio.CancelledError:  # the run was stopped (server shutdown) while its sandbox started
            await session.close()
            raise
        return session

    @property
    def busy(self) -> bool:
        """An execution is running (an idle sweep must not stop it)."""
        return self._lock.locked()

    def docker_log(self) -> str:
        path = self.host_dir.parent / f"{self.name}.log"
        return path.read_text(errors="replace")[-2000:].strip() if path.exists() else ""

    async def execute(self, code: str, timeout_s: float) -> Execution:
        async with self._lock:
            self.last_used = time.monotonic()
            try:
                return await self._execute(code, timeout_s)
            finally:
                self.last_used = time.monotonic()

    async def _execute(self, code: str, timeout_s: float) -> Execution:
        self._next_id += 1
        request = {"id": self._next_id, "code": code, "timeout": timeout_s,
                   "max_output": self._settings.sandbox_max_output_bytes}
        try:
            self._send(request)
            line = await self._read_line(timeout_s + _GRACE_S)
            if line is None:  # the kernel did not stop at its own alarm: interrupt it, then kill
                self._send({"interrupt": True})
                line = await self._read_line(_GRACE_S)
        except (BrokenPipeError, ConnectionResetError):
            line = b""
        if line is None:
            await self.close()
            return Execution(timed_out=True, session_died=True, error=(
                f"Execution did not stop within {timeout_s:.0f} s, even when interrupted; the sandbox was killed "
                "and its state (variables, files) is lost."))
        if not line:
            reason = await self._death_reason()
            await self.close()
            return Execution(session_died=True, error=f"The Python kernel died ({reason}); its state is lost.")
        reply = json.loads(line)
        return Execution(stdout=reply["stdout"], stderr=reply["stderr"], error=reply["error"],
                         images=[base64.b64decode(i) for i in reply["images"]], timed_out=reply["timed_out"])

    def _send(self, message: dict) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write((json.dumps(message) + "\n").encode())

    async def _read_line(self, timeout_s: float) -> bytes | None:
        """The next protocol line; b"" when the kernel is gone; None on timeout."""
        assert self._process.stdout is not None
        try:
            return await asyncio.wait_for(self._process.stdout.readline(), timeout_s)
        except asyncio.TimeoutError:
            return None

    async def _death_reason(self) -> str:
        try:
            state = await docker("inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", self.name,
                                 timeout=20)
            oom, code = state.stdout.split()
            if oom == "true" or code == "137":
                return f"out of memory: the sandbox may use {self._settings.sandbox_memory}"
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
        """Stop and remove the container and its files."""
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
        shutil.rmtree(self.host_dir, ignore_errors=True)
        (self.host_dir.parent / f"{self.name}.log").unlink(missing_ok=True)


def _give_to_sandbox_user(path: Path) -> None:
    """The kernel runs as uid 1000: let it write the bind-mounted directory."""
    try:
        os.chown(path, SANDBOX_UID, SANDBOX_UID)
    except PermissionError:  # not root: open the directory up instead
        path.chmod(0o777)
