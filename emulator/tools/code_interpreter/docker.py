"""The Docker engine, driven through the `docker` command line (no daemon socket inside sandboxes)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from dataclasses import dataclass


class DockerError(RuntimeError):
    """Docker is missing, not running, or a docker command failed."""


@dataclass
class Completed:
    returncode: int
    stdout: str
    stderr: str


def docker_path() -> str:
    path = shutil.which("docker")
    if path is None:
        raise DockerError("the `docker` command is not installed (see scripts/ensure_docker.sh)")
    return path


async def docker(*args: str, timeout: float = 120.0, check: bool = True) -> Completed:
    """Run `docker ARGS...` and wait for it."""
    process = await asyncio.create_subprocess_exec(
        docker_path(), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise DockerError(f"`docker {args[0]}` took longer than {timeout:.0f} s") from None
    result = Completed(process.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace"))
    if check and result.returncode != 0:
        raise DockerError(f"`docker {' '.join(args[:2])}` failed: {result.stderr.strip() or result.stdout.strip()}")
    return result


def docker_sync(*args: str, timeout: float = 3600.0, check: bool = True, stream: bool = False) -> Completed:
    """Blocking variant, for the CLI (with `stream`, output goes straight to the terminal)."""
    if stream:
        code = subprocess.run([docker_path(), *args], timeout=timeout).returncode
        result = Completed(code, "", "")
    else:
        proc = subprocess.run([docker_path(), *args], capture_output=True, text=True, timeout=timeout)
        result = Completed(proc.returncode, proc.stdout, proc.stderr)
    if check and result.returncode != 0:
        raise DockerError(f"`docker {' '.join(args[:2])}` failed: {result.stderr.strip()}")
    return result


async def engine_available() -> bool:
    try:
        return (await docker("info", "--format", "{{.ServerVersion}}", timeout=20, check=False)).returncode == 0
    except (DockerError, OSError):
        return False
