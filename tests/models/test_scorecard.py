"""`assistants-emulator scorecard`: it runs every task and reports each one, whatever the model.

The bundled model's pass rate is a benchmark, not a test: these assert the table's shape only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from emulator.scorecard.tasks import TASKS


def scorecard(tmp_path, *args: str, timeout: int) -> tuple[list[dict], str, str]:
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "emulator", "scorecard", "--json", str(out), *args],
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "EMULATOR_DATA_DIR": str(tmp_path / "data")})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done.stdout, done.stderr


def assert_every_task_reported(results: list[dict], table: str, progress: str) -> None:
    assert [r["task"] for r in results] == list(TASKS)
    assert len(TASKS) >= 10
    lines = table.strip().splitlines()
    assert lines[0] == "| task | result | seconds | tokens | why |"
    for name, line in zip(TASKS, lines[2:]):
        assert line.startswith(f"| {name} | ") and (" pass " in line or " FAIL " in line)
    assert lines[-1].startswith(f"| **{sum(r['passed'] for r in results)}/{len(TASKS)} passed** |")
    for number, name in enumerate(TASKS, start=1):
        assert f"[{number}/{len(TASKS)}] {name} ..." in progress
    for result in results:
        assert result["passed"] or result["why"], result


def test_scorecard_reports_every_task_and_why_each_failed(tmp_path):
    """A model that only echoes the user fails nearly everything, each failure with its reason."""
    results, table, progress = scorecard(tmp_path, "--model", "scripted/echo", timeout=600)
    assert_every_task_reported(results, table, progress)
    assert not all(r["passed"] for r in results)


@pytest.mark.timeout(3600)
def test_scorecard_on_the_bundled_model(tmp_path, sandbox_image, capsys):
    results, table, progress = scorecard(tmp_path, "--local-llm", timeout=3500)
    with capsys.disabled():  # the table goes to the terminal, so CI's log shows it
        print(f"\nThe bundled model's scorecard:\n{table}")
    assert_every_task_reported(results, table, progress)
    assert sum(r["tokens"] for r in results) > 0
