"""Helpers of the hostile-input tests: a world of objects to aim at, error-shape and keep-alive checks,
and a snapshot of everything stored (to show that rejected input left nothing behind)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

FOLLOW_UP = "/assistants?limit=1"


def error_of(response: httpx.Response, status: int) -> dict:
    """The error object of an OpenAI-shaped error response with this status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"message", "type", "param", "code"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def local_port(response: httpx.Response) -> int:
    """The client-side port of the TCP connection the response came on."""
    return response.extensions["network_stream"].get_extra_info("socket").getsockname()[1]


def assert_connection_kept(http: httpx.Client, response: httpx.Response) -> None:
    """The next request goes out on the same kept-alive connection, and succeeds."""
    port = local_port(response)
    follow = http.get(FOLLOW_UP)
    assert follow.status_code == 200, follow.text
    assert local_port(follow) == port, "the server dropped the kept-alive connection"


@dataclass
class World:
    """One of each object a POST endpoint can be aimed at."""

    assistant: str
    thread: str
    message: str
    run: str
    vector_store: str
    file: str
    batch: str

    def path(self, template: str) -> str:
        return template.format(**self.__dict__)


def _ok(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def _wait(http: httpx.Client, path: str, done) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        obj = _ok(http.get(path))
        if done(obj):
            return obj
        time.sleep(0.1)
    raise AssertionError(f"{path} did not settle: {obj}")


def make_world(http: httpx.Client) -> World:
    assistant = _ok(http.post("/assistants", json={"model": "scripted/echo", "name": "target"}))["id"]
    thread = _ok(http.post("/threads", json={"messages": [{"role": "user", "content": "hello"}]}))["id"]
    message = _ok(http.get(f"/threads/{thread}/messages"))["data"][0]["id"]
    run = _ok(http.post(f"/threads/{thread}/runs", json={"assistant_id": assistant}))["id"]
    _wait(http, f"/threads/{thread}/runs/{run}", lambda r: r["status"] == "completed")
    file = _ok(http.post("/files", files={"file": ("notes.txt", b"The garage code is 4711.")},
                         data={"purpose": "assistants"}))["id"]
    store = _ok(http.post("/vector_stores", json={"name": "target", "file_ids": [file]}))["id"]
    batch = _ok(http.post(f"/vector_stores/{store}/file_batches", json={"file_ids": [file]}))["id"]
    _wait(http, f"/vector_stores/{store}", lambda s: s["file_counts"]["in_progress"] == 0)
    return World(assistant, thread, message, run, store, file, batch)


def snapshot(http: httpx.Client, world: World) -> list:
    """Every list and object the world's endpoints can change."""
    paths = ["/assistants?limit=100", "/threads?limit=100", "/files", "/vector_stores?limit=100",
             "/threads/{thread}/messages?limit=100", "/threads/{thread}/runs?limit=100",
             "/vector_stores/{vector_store}/files?limit=100", "/vector_stores/{vector_store}/file_batches/{batch}"]
    return [_ok(http.get(world.path(p))) for p in paths]
