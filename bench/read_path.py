"""Read path against its floor: the emulator's cheapest reads beside a bare Starlette app, one run.

    .venv/bin/python bench/read_path.py [--seconds 5] [--rounds 3] [--connections 8]

Both servers run on the same uvicorn settings (uvicorn's defaults, as `assistants-emulator serve`:
httptools and uvloop, both installed with uvicorn[standard]); the floor returns, for each path, the very
bytes the emulator returned for it, so the difference is what the emulator does per request (routing,
middleware, queries, serialisation). Load comes from `wrk` (apt-get install wrk): a Python client
saturates before either server does. Each request is measured in rounds, the emulator then the floor,
and the median round is shown: on a shared machine a burst of other work moves one measurement, not
the result. Target on a 2-core machine: every ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

from emulator.testing import EmulatorServer

FLOOR_APP = textwrap.dedent('''
    import json, sys
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    bodies = json.load(open(sys.argv[2]))

    async def serve(request):
        status, body = bodies.get(request.url.path + ("?" + request.url.query if request.url.query else ""),
                                  (404, ""))  # a path not measured: the readiness probe's
        return Response(body, status_code=status, media_type="application/json")

    app = Starlette(routes=[Route("/{path:path}", serve)])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
''')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wrk(url: str, seconds: int, connections: int) -> tuple[float, int]:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-H", "Authorization: Bearer k", url],
                         capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert found, out
    return float(found.group(1)), int(errors.group(1)) if errors else 0


def seed(base: str) -> dict[str, str]:
    """A thread with 20 messages (a ~10 KB page), and the paths to measure."""
    with httpx.Client(base_url=base, headers={"Authorization": "Bearer k"}) as http:
        thread = http.post("/threads", json={}).json()["id"]
        for i in range(20):
            http.post(f"/threads/{thread}/messages",
                      json={"role": "user", "content": f"Message {i}: " + "lorem ipsum dolor sit amet " * 12})
        first = http.get(f"/threads/{thread}/messages?limit=1").json()["data"][0]["id"]
        # A model call waits for the server's background set-up (litellm's import), which would
        # otherwise share the CPU with the first measurement.
        other = http.post("/threads", json={}).json()["id"]
        assistant = http.post("/assistants", json={"model": "scripted/echo"}).json()["id"]
        run = http.post(f"/threads/{other}/runs", json={"assistant_id": assistant}).json()
        while run["status"] in ("queued", "in_progress"):
            time.sleep(0.05)
            run = http.get(f"/threads/{other}/runs/{run['id']}").json()
    return {"messages.list": f"/v1/threads/{thread}/messages?limit=20",
            "threads.retrieve": f"/v1/threads/{thread}",
            "messages.retrieve": f"/v1/threads/{thread}/messages/{first}",
            "404 unknown thread": "/v1/threads/thread_unknown/messages?limit=20"}


def paired(emulator_url: str, floor_url: str, args: argparse.Namespace) -> tuple[float, float, float]:
    """The requests/s of the emulator and of the floor, and their ratio, in the round of median ratio."""
    rounds = []
    for _ in range(args.rounds):
        emulator_rps, _ = wrk(emulator_url, args.seconds, args.connections)
        floor_rps, _ = wrk(floor_url, args.seconds, args.connections)
        rounds.append((emulator_rps / floor_rps, emulator_rps, floor_rps))
    ratio, emulator_rps, floor_rps = sorted(rounds)[len(rounds) // 2]
    return emulator_rps, floor_rps, ratio


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5, help="each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="paired runs per request (odd: a median round)")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/read_path.py needs wrk (apt-get install wrk)")
    work = Path(tempfile.mkdtemp(prefix="aemu-bench-"))
    server = EmulatorServer(work / "data", work, {"EMULATOR_SANDBOX_POOL_SIZE": "0"}).start()
    try:
        paths = seed(server.base_url)
        root = server.base_url.removesuffix("/v1")
        bodies = {}
        for path in paths.values():
            response = httpx.get(root + path, headers={"Authorization": "Bearer k"})
            bodies[path] = (response.status_code, response.text)
        (work / "bodies.json").write_text(__import__("json").dumps(bodies))
        (work / "floor.py").write_text(FLOOR_APP)
        port = free_port()
        floor = subprocess.Popen([sys.executable, str(work / "floor.py"), str(port), str(work / "bodies.json")])
        try:
            for _ in range(100):
                try:
                    httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            print(f"wrk -c{args.connections}, {args.rounds} rounds of {args.seconds} s each side, median round; "
                  f"load average {os.getloadavg()[0]:.2f} at start")
            print(f"{'request':<20} {'body':>8} {'emulator':>12} {'floor':>12} {'ratio':>7}")
            for name, path in paths.items():
                emulator_rps, floor_rps, ratio = paired(root + path, f"http://127.0.0.1:{port}{path}", args)
                expected_errors = " (404s)" if bodies[path][0] == 404 else ""
                print(f"{name:<20} {len(bodies[path][1]):>7}B {emulator_rps:>10.0f}/s {floor_rps:>10.0f}/s "
                      f"{ratio:>7.2f}{expected_errors}")
            print(f"load average {os.getloadavg()[0]:.2f} at end")
        finally:
            floor.terminate()
            floor.wait()
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
