"""Sandboxes for threads: one per thread, a warm pool of pristine ones, idle expiry, cleanup.

A container is never reused across threads. Every container carries the labels of this
server's data dir, so containers left by a crashed server are found and removed at startup,
and shutdown removes this server's containers. While it runs, the server holds a lock in its
data dir, which tells `assistants-emulator sandbox prune` that its containers are in use.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import shutil
import time

from emulator.sandbox_seed import sandbox_prelude
from emulator.settings import Settings
from emulator.tools.code_interpreter.docker import DockerError, docker, engine_available
from emulator.tools.code_interpreter.image import ensure_image, image_exists, image_tag
from emulator.tools.code_interpreter.prune import DATA_DIR_LABEL, LABEL, OWNER_LABEL, ServerLock
from emulator.tools.code_interpreter.session import SandboxSession

log = logging.getLogger(__name__)


class SandboxUnavailable(RuntimeError):
    """No sandbox can be started (no Docker engine, or the image cannot be built)."""


class SandboxManager:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._root = settings.data_dir / "sandboxes"
        self._data_dir = str(settings.data_dir.resolve())
        self._owner = hashlib.sha256(self._data_dir.encode()).hexdigest()[:16]
        self._lock = ServerLock(self._root)
        self._sessions: dict[str, SandboxSession] = {}
        self._lost_state: set[str] = set()
        self._pool: list[SandboxSession] = []
        self._image: str | None = None
        self._image_lock = asyncio.Lock()
        self._thread_locks: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task] = []
        self._available: bool | None = None

    # -- lifecycle ---------------------------------------------------------------------
    async def start(self) -> None:
        """Remove containers a crashed server left behind; start the pool if the image is there."""
        self._available = await engine_available()
        if not self._available:
            log.warning("no Docker engine: code_interpreter calls will report that they cannot run")
            return
        if not await asyncio.to_thread(self._lock.acquire):
            log.warning("another process holds %s: is a second server using this data dir?", self._root)
        await self._remove_containers(f"{OWNER_LABEL}={self._owner}")
        for leftover in self._root.iterdir():  # logs (and old mount dirs) of containers removed above
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            elif leftover.suffix == ".log":
                leftover.unlink(missing_ok=True)
        loop = asyncio.get_running_loop()
        self._tasks.append(loop.create_task(self._reap_idle(), name="sandbox idle reaper"))
        tag = image_tag(self._settings)
        if await asyncio.to_thread(image_exists, tag):
            self._image = tag
            self._tasks.append(loop.create_task(self._fill_pool(), name="sandbox pool"))

    async def shutdown(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        sessions = [*self._sessions.values(), *self._pool]
        self._sessions.clear()
        self._pool.clear()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
        self._lock.release()

    # -- sessions ----------------------------------------------------------------------
    async def session_for(self, thread_id: str) -> tuple[SandboxSession, str | None]:
        """The thread's live session, starting one if needed; and a note if earlier state was lost."""
        lock = self._thread_locks.setdefault(thread_id, asyncio.Lock())
        async with lock:
            session = self._sessions.get(thread_id)
            if session is not None and session.alive:
                return session, None
            session = await self._take_pristine()
            if prelude := sandbox_prelude(self._settings):  # deterministic mode: seed random and numpy
                await session.execute(prelude, self._settings.sandbox_exec_timeout_s)
            self._sessions[thread_id] = session
            note = None
            if thread_id in self._lost_state:
                self._lost_state.discard(thread_id)
                note = ("Note: this is a new Python session. The previous one ended (it was idle too long, or it "
                        "died), so variables, imports and files created earlier are gone; the user's files were "
                        "copied to /mnt/data again.")
            return session, note

    def mark_lost(self, thread_id: str) -> None:
        """The thread's session died: the next call starts fresh and says so."""
        self._sessions.pop(thread_id, None)
        self._lost_state.add(thread_id)

    async def drop(self, thread_id: str) -> None:
        session = self._sessions.pop(thread_id, None)
        if session is not None:
            await session.close()

    async def _take_pristine(self) -> SandboxSession:
        while self._pool:
            session = self._pool.pop(0)
            if session.alive:
                self._refill_soon()
                return session
        session = await self.new_session()
        self._refill_soon()
        return session

    async def new_session(self) -> SandboxSession:
        image = await self._ensure_image()
        name = f"aemu-{self._owner[:8]}-{secrets.token_hex(4)}"
        labels = {LABEL: "1", OWNER_LABEL: self._owner, DATA_DIR_LABEL: self._data_dir}
        return await SandboxSession.start(self._settings, image, name, labels, self._root / f"{name}.log")

    async def _ensure_image(self) -> str:
        if self._available is False:
            raise SandboxUnavailable("code_interpreter needs a Docker engine, and none is reachable "
                                     "(run scripts/ensure_docker.sh, or start Docker)")
        async with self._image_lock:
            if self._image is None:
                try:
                    self._image = await asyncio.to_thread(ensure_image, self._settings)
                except (DockerError, OSError) as exc:
                    raise SandboxUnavailable(f"the sandbox image could not be built: {exc}") from exc
            return self._image

    # -- background work ---------------------------------------------------------------
    def _refill_soon(self) -> None:
        if self._settings.sandbox_pool_size > 0:
            self._tasks.append(asyncio.get_running_loop().create_task(self._fill_pool(), name="sandbox pool"))
            self._tasks = [t for t in self._tasks if not t.done()]

    async def _fill_pool(self) -> None:
        while len(self._pool) < self._settings.sandbox_pool_size:
            try:
                self._pool.append(await self.new_session())
            except (DockerError, SandboxUnavailable, OSError) as exc:
                log.warning("could not start a pooled sandbox: %s", exc)
                return

    async def _reap_idle(self) -> None:
        interval = min(30.0, max(0.5, self._settings.sandbox_idle_timeout_s / 4))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for thread_id, session in list(self._sessions.items()):
                if now - session.last_used > self._settings.sandbox_idle_timeout_s and not session.busy:
                    log.info("stopping idle sandbox of %s", thread_id)
                    self.mark_lost(thread_id)
                    await session.close()

    async def _remove_containers(self, label: str) -> None:
        try:
            found = await docker("ps", "-aq", "--filter", f"label={label}", timeout=60)
            ids = found.stdout.split()
            if ids:
                log.warning("removing %d sandbox container(s) left by an earlier server", len(ids))
                await docker("rm", "-f", *ids, timeout=120, check=False)
        except DockerError as exc:
            log.warning("could not clean up old sandboxes: %s", exc)
