"""A llama.cpp server process for a GGUF model (the scorecard and the tests start the bundled one)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

from emulator.testing import free_port


class LocalModelServer:
    """`assistants-emulator local-llm` in a subprocess, on a free port; `stop()` ends it."""

    def __init__(self, log_path: Path, model: Path | None = None, threads: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = log_path
        self.model = model
        self.threads = threads
        self.env = env
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def model_map(self) -> dict:
        from emulator.cli_local_llm import model_map_entry

        return model_map_entry("127.0.0.1", self.port)

    def start(self, timeout_s: float = 300) -> "LocalModelServer":
        command = [sys.executable, "-m", "emulator", "local-llm", "--port", str(self.port)]
        if self.model is not None:
            command += ["--model", str(self.model)]
        if self.threads:
            command += ["--threads", str(self.threads)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout_s  # the first start assembles the model (seconds)
        while True:
            try:
                if httpx.get(f"{self.base_url}/models", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the local model server did not start:\n{self.log_path.read_text()[-3000:]}")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
