"""Helpers for the crash and shutdown tests: watching a server's runs, streams, containers and files."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import threading
import time

from emulator.run_status import ACTIVE
from emulator.testing import EmulatorServer
from tests.helpers.code_interpreter import ci_assistant, code_call


def owned_containers(srv: EmulatorServer) -> list[str]:
    """Containers (running or not) carrying this server's owner label: the label the sandbox manager puts
    on every container it starts, derived from the data dir."""
    owner = hashlib.sha256(str(srv.data_dir.resolve()).encode()).hexdigest()[:16]
    out = subprocess.run(["docker", "ps", "-aq", "--no-trunc", "--filter", f"label=assistants-emulator.owner={owner}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def wait_until(condition, timeout_s: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def start_code_execution(srv: EmulatorServer, script, code: str):
    """Start a run whose code_interpreter call runs `code`; return (client, thread, run) once that code is
    running in its sandbox."""
    client = srv.client()
    assistant = ci_assistant(client, script(code_call(code), {"text": "never reached"}))
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "sleep"}])
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)

    def executing() -> bool:
        steps = client.beta.threads.runs.steps.list(thread_id=thread.id, run_id=run.id).data
        return any(s.type == "tool_calls" and s.status == "in_progress" for s in steps) and bool(owned_containers(srv))

    wait_until(executing, 120, "the code to be running in its sandbox")
    return client, thread, run


def terminate_timed(srv: EmulatorServer, limit_s: float = 30) -> float:
    """SIGTERM the server; the seconds until the process has exited."""
    assert srv.process is not None
    started = time.monotonic()
    srv.process.send_signal(signal.SIGTERM)
    srv.process.wait(timeout=limit_s)
    srv.process = None
    return time.monotonic() - started


class StreamWatcher:
    """Follows one streamed run on a thread, keeping every event's name, until the stream ends or breaks."""

    def __init__(self, client, assistant_id: str, content: str) -> None:
        self.events: list[str] = []
        self.run_id: str | None = None
        self.thread_id: str | None = None
        self.error: Exception | None = None
        self._args = (client, assistant_id, content)
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        client, assistant_id, content = self._args
        try:
            stream = client.beta.threads.create_and_run(
                assistant_id=assistant_id, thread={"messages": [{"role": "user", "content": content}]}, stream=True)
            for event in stream:
                if event.event == "thread.run.created":
                    self.run_id, self.thread_id = event.data.id, event.data.thread_id
                self.events.append(event.event)
        except Exception as exc:  # the server went away mid-stream
            self.error = exc

    def deltas(self) -> int:
        return self.events.count("thread.message.delta")

    def join(self, timeout_s: float = 30) -> None:
        self._thread.join(timeout_s)
        assert not self._thread.is_alive(), "the stream did not end"


def active_runs(client, thread_ids) -> list[tuple[str, str]]:
    """(run id, status) of every run still in an active status on these threads."""
    found = []
    for thread_id in thread_ids:
        for run in client.beta.threads.runs.list(thread_id=thread_id).data:
            if run.status in ACTIVE:
                found.append((run.id, run.status))
    return found
