"""Core API benchmark: latency of messages.create/list, messages.list throughput, run latency.

    .venv/bin/python bench/core_api.py [--seconds 10] [--samples 300]

Starts one server process (scripted model, temporary data dir), drives it from
this process, and prints medians and 95th percentiles. Targets on a 2-core
machine: streamed scripted run p50 <= 30 ms, create_and_poll p50 <= 60 ms,
messages.list >= 400 requests/s.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from emulator.testing import EmulatorServer

SCRIPT = "turns:\n  - text: \"The answer is x = 1, found by subtracting 11 and dividing by 3.\"\n"


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return f"p50 {statistics.median(ordered):7.2f} ms   p95 {p95:7.2f} ms   (n={len(ordered)})"


def timed(fn, samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


async def _list_load(port: int, path: str, seconds: float, connections: int) -> int:
    """Keep-alive GET load from raw sockets (cheap on the client side, so the server is what is measured)."""
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer k\r\n\r\n".encode()
    deadline = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), head[:80]
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return done


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-core-"))
    (tmp / "scripts").mkdir()
    (tmp / "scripts" / "bench.yaml").write_text(SCRIPT)
    server = EmulatorServer(tmp / "data", tmp / "scripts").start()
    try:
        client = server.client()
        assistant = client.beta.assistants.create(model="scripted/bench", instructions="Be brief.")
        thread = client.beta.threads.create()
        for i in range(20):
            client.beta.threads.messages.create(thread_id=thread.id, role="user", content=f"seed message {i}")

        http = httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer k"})
        create_thread = client.beta.threads.create()
        create = timed(lambda: http.post(f"/threads/{create_thread.id}/messages",
                                         json={"role": "user", "content": "hello"}).raise_for_status(), args.samples)
        listing = timed(lambda: http.get(f"/threads/{thread.id}/messages").raise_for_status(), args.samples)
        print(f"messages.create            {percentiles(create)}")
        print(f"messages.list (20 msgs)    {percentiles(listing)}")

        count = asyncio.run(_list_load(server.port, f"/v1/threads/{thread.id}/messages", args.seconds, 8))
        print(f"messages.list sustained    {count / args.seconds:7.1f} requests/s "
              f"over {args.seconds:.0f} s, 8 keep-alive connections, one server process")

        def streamed_run() -> None:
            t = http.post("/threads", json={"messages": [{"role": "user", "content": "3x + 11 = 14?"}]}).json()
            with http.stream("POST", f"/threads/{t['id']}/runs",
                             json={"assistant_id": assistant.id, "stream": True}) as response:
                body = b"".join(response.iter_bytes())
            assert body.endswith(b"data: [DONE]\n\n"), body[-200:]

        def polled_run() -> None:
            t = client.beta.threads.create(messages=[{"role": "user", "content": "3x + 11 = 14?"}])
            run = client.beta.threads.runs.create_and_poll(thread_id=t.id, assistant_id=assistant.id)
            assert run.status == "completed", run.last_error

        streamed_run(), polled_run()  # warm up
        # Thread creation is set-up, not part of the measured run: time only the run itself.
        stream_samples, poll_samples = [], []
        for _ in range(args.runs):
            t = http.post("/threads", json={"messages": [{"role": "user", "content": "3x + 11 = 14?"}]}).json()
            start = time.perf_counter()
            with http.stream("POST", f"/threads/{t['id']}/runs",
                             json={"assistant_id": assistant.id, "stream": True}) as response:
                body = b"".join(response.iter_bytes())
            stream_samples.append((time.perf_counter() - start) * 1000)
            assert body.endswith(b"data: [DONE]\n\n")
            t2 = client.beta.threads.create(messages=[{"role": "user", "content": "3x + 11 = 14?"}])
            start = time.perf_counter()
            run = client.beta.threads.runs.create_and_poll(thread_id=t2.id, assistant_id=assistant.id)
            poll_samples.append((time.perf_counter() - start) * 1000)
            assert run.status == "completed"
        print(f"streamed run -> [DONE]     {percentiles(stream_samples)}")
        print(f"create_and_poll            {percentiles(poll_samples)}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
