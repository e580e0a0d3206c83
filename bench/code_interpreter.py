"""code_interpreter benchmark: first execution with and without the warm pool, per-execution
overhead in a live session, and the memory of an idle session.

    .venv/bin/python bench/code_interpreter.py [--samples 15]

Drives the same SandboxManager the server uses (real Docker). Targets on a 2-core machine:
first execution with the pool p50 <= 250 ms, without p50 <= 2.5 s, overhead p50 <= 20 ms,
idle session <= 80 MiB.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from emulator.settings import Settings
from emulator.tools.code_interpreter import SandboxManager


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):8.1f} ms   p95 {p95:8.1f} ms   (n={len(ordered)})"


async def first_execution(pool_size: int, samples: int) -> list[float]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-ci-")), sandbox_pool_size=pool_size)
    manager = SandboxManager(settings)
    await manager.start()
    times = []
    try:
        for i in range(samples):
            if pool_size:
                while len(manager._pool) < pool_size:  # measure a warm take every time
                    await asyncio.sleep(0.05)
            start = time.perf_counter()
            session, _ = await manager.session_for(f"thread_{i}")
            result = await session.execute("print(1)", 30)
            times.append((time.perf_counter() - start) * 1000)
            assert result.stdout == "1\n", result
            await manager.drop(f"thread_{i}")
    finally:
        await manager.shutdown()
    return times


async def overhead_and_memory(samples: int) -> tuple[list[float], float, float]:
    settings = Settings(data_dir=Path(tempfile.mkdtemp(prefix="bench-ci-")), sandbox_pool_size=0)
    manager = SandboxManager(settings)
    await manager.start()
    try:
        session, _ = await manager.session_for("thread_overhead")
        pristine = await session.memory_bytes()
        for _ in range(5):
            await session.execute("print(1)", 30)
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            await session.execute("print(1)", 30)
            times.append((time.perf_counter() - start) * 1000)
        await asyncio.sleep(2)
        idle = await session.memory_bytes()
    finally:
        await manager.shutdown()
    return times, pristine / 2**20, idle / 2**20


async def main(samples: int) -> None:
    warm = await first_execution(pool_size=1, samples=samples)
    print(f"first print(1), warm pool      {summary(warm)}")
    cold = await first_execution(pool_size=0, samples=samples)
    print(f"first print(1), no pool        {summary(cold)}")
    overhead, pristine, idle = await overhead_and_memory(samples * 10)
    print(f"print(1) in a live session     {summary(overhead)}")
    print(f"idle session memory            {idle:8.1f} MiB (pristine {pristine:.1f} MiB, docker stats)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=15)
    asyncio.run(main(parser.parse_args().samples))
