"""Running the scorecard's tasks and printing the table."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from openai import OpenAI

from emulator.scorecard.tasks import TASKS, Context, TaskFailed


@dataclass
class TaskResult:
    task: str
    passed: bool
    why: str
    seconds: float
    tokens: int


def run_tasks(client: OpenAI, model: str, names: list[str] | None = None,
              progress: TextIO | None = sys.stderr) -> list[TaskResult]:
    """Run the named tasks (all by default) one after another; a failing task never stops the others."""
    names = names or list(TASKS)
    results = []
    for number, name in enumerate(names, start=1):
        if progress is not None:
            print(f"[{number}/{len(names)}] {name} ...", end="", file=progress, flush=True)
        result = run_task(name, TASKS[name], client, model)
        results.append(result)
        if progress is not None:
            outcome = "pass" if result.passed else f"FAIL ({result.why})"
            print(f" {outcome} in {result.seconds:.1f}s", file=progress, flush=True)
    return results


def run_task(name: str, task: Callable[[Context], None], client: OpenAI, model: str) -> TaskResult:
    ctx = Context(client, model)
    started = time.monotonic()
    try:
        task(ctx)
        passed, why = True, ""
    except TaskFailed as exc:
        passed, why = False, str(exc)
    except Exception as exc:  # an API error or a bug in the flow: that task fails, the others still run
        passed, why = False, f"{type(exc).__name__}: {str(exc)[:150]}"
    return TaskResult(name, passed, why, time.monotonic() - started, ctx.tokens)


def table(results: list[TaskResult]) -> str:
    """The results as a Markdown table, with a total line."""
    rows = [("task", "result", "seconds", "tokens", "why"), ("---", "---", "---:", "---:", "---")]
    for r in results:
        rows.append((r.task, "pass" if r.passed else "FAIL", f"{r.seconds:.1f}", str(r.tokens), r.why))
    passed = sum(r.passed for r in results)
    rows.append((f"**{passed}/{len(results)} passed**", "", f"{sum(r.seconds for r in results):.1f}",
                 str(sum(r.tokens for r in results)), ""))
    return "\n".join("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows)
