"""Load benchmark: many clients streaming runs at once against one server.

    .venv/bin/python bench/concurrent_streams.py [--clients 40] [--rounds 5] [--words 30] [--delay-ms 0]

Starts one server process (scripted model, temporary data dir). Each client (its own
`AsyncOpenAI`, so its own connections) streams `--rounds` runs one after another, each
on a new thread; all clients run at once. Prints the latency from the run's create
request to the stream's [DONE] (p50, p95, max), the failures (an exception, or a
stream that did not end with `thread.run.completed`), and the total; afterwards every
thread is read back, and a message missing or different counts as a failure too.
The load average is printed before and after, and the server process's CPU time: the
clients share the machine with the server, so read the figures with them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import yaml
from openai import AsyncOpenAI

from emulator.testing import EmulatorServer


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "n/a"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Tally:
    def __init__(self) -> None:
        self.latencies_ms: list[float] = []
        self.failures: list[str] = []
        self.threads: list[tuple[str, str]] = []
        """(thread id, the user message it was created with)."""


async def client_rounds(base_url: str, assistant_id: str, number: int, rounds: int, tally: Tally) -> None:
    async with AsyncOpenAI(base_url=base_url, api_key="k", max_retries=0, timeout=300) as client:
        for round_number in range(rounds):
            content = f"client {number} round {round_number}"
            try:
                thread = await client.beta.threads.create(messages=[{"role": "user", "content": content}])
                tally.threads.append((thread.id, content))
                started = time.perf_counter()
                last = None
                stream = await client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant_id,
                                                               stream=True)
                async for event in stream:  # the SDK stops at [DONE]
                    last = event.event
                tally.latencies_ms.append((time.perf_counter() - started) * 1000)
                if last != "thread.run.completed":
                    tally.failures.append(f"{content}: stream ended with {last}")
            except Exception as exc:
                tally.failures.append(f"{content}: {type(exc).__name__}: {exc}")


async def check_messages(base_url: str, tally: Tally, answer: str) -> None:
    """Every thread holds its user message and the complete answer, and nothing else."""
    async with AsyncOpenAI(base_url=base_url, api_key="k", max_retries=0) as client:
        semaphore = asyncio.Semaphore(8)

        async def check(thread_id: str, content: str) -> None:
            async with semaphore:
                messages = (await client.beta.threads.messages.list(thread_id=thread_id, order="asc")).data
            got = [(m.role, m.content[0].text.value if m.content else "", m.status) for m in messages]
            if got != [("user", content, "completed"), ("assistant", answer, "completed")]:
                tally.failures.append(f"{thread_id}: messages are {got}")

        await asyncio.gather(*(check(t, c) for t, c in tally.threads))


async def load(base_url: str, assistant_id: str, clients: int, rounds: int, tally: Tally) -> None:
    await asyncio.gather(*(client_rounds(base_url, assistant_id, n, rounds, tally) for n in range(clients)))


def main() -> None:
    warnings.filterwarnings("ignore", category=DeprecationWarning)  # the SDK's notes on the Assistants API
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--words", type=int, default=30, help="words in the streamed answer (one delta each)")
    parser.add_argument("--delay-ms", type=int, default=0, help="scripted model's pause before each delta")
    args = parser.parse_args()

    answer = " ".join(f"word{i}" for i in range(args.words))
    tmp = Path(tempfile.mkdtemp(prefix="bench-streams-"))
    (tmp / "scripts").mkdir()
    (tmp / "scripts" / "bench.yaml").write_text(yaml.safe_dump({"turns": [{"text": answer,
                                                                           "delay_ms": args.delay_ms}]}))
    server = EmulatorServer(tmp / "data", tmp / "scripts", {"EMULATOR_SANDBOX_POOL_SIZE": "0"}).start()
    try:
        assistant = server.client().beta.assistants.create(model="scripted/bench")
        tally = Tally()
        print(f"{args.clients} clients x {args.rounds} streamed runs, {args.words}-word answers, "
              f"{os.cpu_count()} CPUs; load average before: {loadavg()}")
        started, server_cpu = time.perf_counter(), cpu_seconds(server.process.pid)
        asyncio.run(load(server.base_url, assistant.id, args.clients, args.rounds, tally))
        total_s = time.perf_counter() - started
        server_cpu = cpu_seconds(server.process.pid) - server_cpu
        load_after = loadavg()
        asyncio.run(check_messages(server.base_url, tally, answer))
        ordered = sorted(tally.latencies_ms)
        runs = args.clients * args.rounds
        if ordered:
            print(f"create -> [DONE]   p50 {statistics.median(ordered):8.1f} ms   "
                  f"p95 {percentile(ordered, 0.95):8.1f} ms   max {ordered[-1]:8.1f} ms   (n={len(ordered)})")
        print(f"total              {total_s:8.2f} s for {runs} runs ({runs / total_s:.1f} runs/s); "
              f"server CPU {server_cpu:.1f} s ({1000 * server_cpu / runs:.0f} ms per run)")
        print(f"failures           {len(tally.failures)}")
        for failure in tally.failures[:10]:
            print(f"  {failure}")
        print(f"load average after: {load_after}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
