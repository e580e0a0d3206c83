"""Responses API benchmark: a streamed scripted response beside a streamed Assistants run, in one sitting,
and a code_interpreter response with a warm sandbox pool.

    .venv/bin/python bench/responses.py [--samples 100] [--code-samples 10]

One server process (scripted model, temporary data dir). Each sample is one request timed from sending it
to the stream's end: `response.completed` for a response, `[DONE]` for a run (its thread made beforehand,
not timed). The two are interleaved, so load on the machine hits both alike. Targets on a 2-core machine:
streamed response p50 <= 20 ms, and response/run p50 ratio <= 1.0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from emulator.testing import EmulatorServer

SCRIPT = "turns:\n  - text: \"The answer is x = 1, found by subtracting 11 and dividing by 3.\"\n"
CODE_SCRIPT = ("turns:\n  - tool_calls: [{name: code_interpreter, arguments: {code: 'print(6 * 7)'}}]\n"
               "  - when: {role: tool}\n    text: \"It is 42.\"\n")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def line(name: str, samples: list[float]) -> str:
    p50, p95 = percentiles(samples)
    return f"{name:34s} p50 {p50:8.2f} ms   p95 {p95:8.2f} ms   (n={len(samples)})"


def streamed(http: httpx.Client, path: str, body: dict, end: bytes) -> float:
    start = time.perf_counter()
    with http.stream("POST", path, json=body) as response:
        data = b"".join(response.iter_bytes())
    elapsed = (time.perf_counter() - start) * 1000
    assert end in data[-4000:], data[-300:]
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--code-samples", type=int, default=10)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-responses-"))
    (tmp / "scripts").mkdir()
    (tmp / "scripts" / "bench.yaml").write_text(SCRIPT)
    (tmp / "scripts" / "code.yaml").write_text(CODE_SCRIPT)
    server = EmulatorServer(tmp / "data", tmp / "scripts", {"EMULATOR_SANDBOX_POOL_SIZE": "2"}).start()
    try:
        http = httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"}, timeout=120)
        assistant = http.post("/assistants", json={"model": "scripted/bench", "instructions": "Be brief."}).json()
        response_body = {"model": "scripted/bench", "input": "3x + 11 = 14?", "instructions": "Be brief.",
                         "stream": True}

        def run_once() -> float:
            thread = http.post("/threads", json={"messages": [{"role": "user", "content": "3x + 11 = 14?"}]}).json()
            return streamed(http, f"/threads/{thread['id']}/runs", {"assistant_id": assistant["id"], "stream": True},
                            b"data: [DONE]")

        def response_once() -> float:
            return streamed(http, "/responses", response_body, b"event: response.completed")

        for _ in range(5):  # warm up both paths
            run_once(), response_once()
        runs, responses = [], []
        for _ in range(args.samples):
            responses.append(response_once())
            runs.append(run_once())
        print(f"load average {os.getloadavg()[0]:.2f} (1 min)")
        print(line("streamed response -> completed", responses))
        print(line("streamed run -> [DONE]", runs))
        print(f"{'ratio response/run (p50)':34s} {percentiles(responses)[0] / percentiles(runs)[0]:8.2f}")

        code_body = {"model": "scripted/code", "input": "six times seven?", "stream": True,
                     "tools": [{"type": "code_interpreter", "container": {"type": "auto"}}]}
        streamed(http, "/responses", code_body, b"event: response.completed")  # warm up
        code = []
        for _ in range(args.code_samples):
            time.sleep(1.0)  # let the pool refill: each response takes a fresh sandbox
            code.append(streamed(http, "/responses", code_body, b"event: response.completed"))
        print(line("code_interpreter response (warm pool)", code))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
