"""Run a real emulator server in a subprocess: for test suites, benchmarks and the pytest plugin."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from openai import OpenAI


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmulatorServer:
    """One `assistants-emulator serve` process on a free port with its own data dir."""

    def __init__(self, data_dir: Path, scripts_dir: Path, env: dict[str, str] | None = None,
                 args: list[str] | None = None) -> None:
        self.data_dir = data_dir
        self.scripts_dir = scripts_dir
        self.extra_env = env or {}
        self.args = args or []
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / f"server-{self.port}.log"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "EmulatorServer":
        env = {**os.environ, "EMULATOR_SCRIPTS_DIR": str(self.scripts_dir), "EMULATOR_LOG_LEVEL": "warning",
               **self.extra_env}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "emulator", "serve", "--port", str(self.port), "--data-dir", str(self.data_dir),
             *self.args],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                httpx.get(f"{self.base_url}/assistants?limit=1", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{self.log_path.read_text()}")

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=30)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def client(self, **kwargs) -> OpenAI:
        return OpenAI(base_url=self.base_url, api_key=kwargs.pop("api_key", "test-key"), max_retries=0, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    @property
    def control_url(self) -> str:
        """The test controls, outside the API (see `emulator.api.control`)."""
        return f"http://127.0.0.1:{self.port}/_emulator"

    def now(self) -> int:
        """The server's clock (unix seconds)."""
        return httpx.get(f"{self.control_url}/clock", headers=self._auth(), timeout=10).json()["now"]

    def advance_clock(self, seconds: int) -> int:
        """Move a deterministic server's clock forward; runs whose deadline passed expire at once."""
        response = httpx.post(f"{self.control_url}/clock", json={"advance_s": seconds}, headers=self._auth(),
                              timeout=10)
        if response.status_code != 200:
            raise RuntimeError(response.json()["error"]["message"])
        return response.json()["now"]

    def reset(self, **changes) -> dict:
        """Blank the server and restart it with these settings changed (needs EMULATOR_TEST_CONTROLS=1)."""
        body = {k: str(v) if isinstance(v, Path) else v for k, v in changes.items()}
        response = httpx.post(f"{self.control_url}/reset", json=body, headers=self._auth(), timeout=60)
        if response.status_code != 200:
            raise RuntimeError(response.json()["error"]["message"])
        return response.json()

    def _auth(self) -> dict[str, str]:
        key = self.extra_env.get("EMULATOR_API_KEY")
        return {"Authorization": f"Bearer {key}"} if key else {}
