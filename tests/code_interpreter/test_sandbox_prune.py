"""`assistants-emulator sandbox prune`: containers of servers that no longer run go; running servers keep theirs."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from emulator.tools.code_interpreter.prune import DATA_DIR_LABEL
from tests.helpers.code_interpreter import run_code
from tests.helpers.paths import REPO_ROOT

pytestmark = pytest.mark.usefixtures("sandbox_image")


def containers_of(srv) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", f"label={DATA_DIR_LABEL}={srv.data_dir.resolve()}"],
                         capture_output=True, text=True, check=True)
    return out.stdout.split()


def prune(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "emulator", "sandbox", "prune", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.3)


def test_prune_removes_the_sandboxes_of_stopped_servers_only(make_server, script):
    crashed = make_server(env={"EMULATOR_SANDBOX_POOL_SIZE": "1"})
    running = make_server(env={"EMULATOR_SANDBOX_POOL_SIZE": "1"})
    run_code(crashed.client(), script, "print(1)")
    run_code(running.client(), script, "print(2)")
    wait_for(lambda: len(containers_of(crashed)) >= 2 and len(containers_of(running)) >= 2)
    left_behind = containers_of(crashed)
    assert len(left_behind) >= 2  # a thread's sandbox and a pooled one
    crashed.stop(kill=True)  # a crash: nothing is cleaned up

    summary = prune()  # other stopped servers' sandboxes may go too
    assert summary.startswith("removed ") and str(crashed.data_dir.resolve()) in summary, summary
    assert containers_of(crashed) == []
    assert len(containers_of(running)) >= 2  # a running server's sandboxes are not touched
    assert [p.name for p in (crashed.data_dir / "sandboxes").iterdir()] == [".server.lock"]  # logs went too
    _, logs = run_code(running.client(), script, "print(3)")
    assert logs == ["3\n"]

    assert prune("--data-dir", str(crashed.data_dir)).startswith("nothing to remove")
    running.stop()
    assert containers_of(running) == []
