"""The inspector's routes: the page and its files, its JSON endpoints, and a run's live events.

`PUBLIC_PATHS` are what loads without the API key (the page's own files, and `/`); everything under
`/_emulator/inspector/api` is behind the key like the API.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route

from emulator import run_status
from emulator.api.http import ListParams, json_response, query_params, server
from emulator.api.routing import ApiRoute
from emulator.errors import InvalidRequest, NotFound
from emulator.inspector import views
from emulator.signals import Event

STATIC = Path(__file__).parent / "static"
_FILES = {"app.js": "text/javascript", "core.js": "text/javascript", "views.js": "text/javascript",
          "run.js": "text/javascript", "responses.js": "text/javascript", "app.css": "text/css", "index.html": "text/html"}
PUBLIC_PATHS = ("/", "/inspector", "/inspector/", *(f"/inspector/static/{name}" for name in _FILES))
_PING_S = 15.0


async def page(_request: Request) -> Response:
    return FileResponse(STATIC / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


async def static_file(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _FILES:
        raise NotFound(f"No inspector file {name!r}.")
    return FileResponse(STATIC / name, media_type=_FILES[name], headers={"Cache-Control": "no-cache"})


async def to_inspector(_request: Request) -> Response:
    return RedirectResponse("/inspector", status_code=307)


async def overview(request: Request) -> Response:
    return json_response(views.overview(server(request)))


async def list_objects(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind not in views.LISTS:
        raise NotFound(f"The inspector lists {', '.join(views.LISTS)}; not {kind!r}.")
    return json_response(views.list_page(server(request), kind, ListParams.parse(request, max_limit=100)))


async def thread(request: Request) -> Response:
    params = ListParams.parse(request, default_limit=50, max_limit=100)
    return json_response(views.thread(server(request), request.path_params["thread_id"], params))


async def run(request: Request) -> Response:
    p = request.path_params
    return json_response(views.run(server(request), p["thread_id"], p["run_id"]))


async def vector_store(request: Request) -> Response:
    return json_response(views.vector_store(server(request), request.path_params["vector_store_id"]))


async def response(request: Request) -> Response:
    return json_response(views.response(server(request), request.path_params["response_id"]))


async def conversation(request: Request) -> Response:
    params = ListParams.parse(request, default_limit=100, max_limit=100)
    return json_response(views.conversation(server(request), request.path_params["conversation_id"], params))


async def container(request: Request) -> Response:
    return json_response(views.container(server(request), request.path_params["container_id"]))


async def replay(request: Request) -> Response:
    query = query_params(request)
    try:
        offset, limit = int(query.get("offset", 0)), int(query.get("limit", 50))
    except ValueError:
        raise InvalidRequest("'offset' and 'limit' must be integers.") from None
    return json_response(views.replay(server(request), max(offset, 0), min(max(limit, 1), 200)))


_RESPONSE_ACTIVE = ("queued", "in_progress")


def _follow(request: Request, key: str, queue: asyncio.Queue[Event], status: str, active: tuple[str, ...],
            ends: Callable[[Event], bool]) -> Response:
    """`key`'s events as they are published (deltas included), from the hub the API streams from, after
    an `inspector.status` event with `status`; a comment line every few seconds keeps the connection
    checked. Ends at once if `status` is not `active`, else at the first event `ends(event)` holds for.
    The caller subscribed `queue` to `key` before reading `status` (so no event is missed); it is
    unsubscribed when the stream ends."""
    hub = server(request).runtime.hub

    async def events() -> AsyncIterator[bytes]:
        try:
            yield f"event: inspector.status\ndata: {status}\n\n".encode()
            if status not in active:
                return
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), _PING_S)
                except TimeoutError:
                    yield b": ping\n\n"
                    continue
                if event.name:
                    yield event.encode()
                if ends(event):
                    return
        finally:
            hub.unsubscribe(key, queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)


def _run_ended(event: Event) -> bool:
    return event.name.startswith("thread.run.") and not event.name.startswith("thread.run.step") \
        and event.name.rpartition(".")[2] not in run_status.ACTIVE


async def run_events(request: Request) -> Response:
    """The run's events, live, until it stops moving."""
    p = request.path_params
    srv = server(request)
    queue = srv.runtime.hub.subscribe(p["run_id"])  # before reading the status: no event is missed
    try:
        found = srv.services.runs.get(p["thread_id"], p["run_id"])
    except Exception:
        srv.runtime.hub.unsubscribe(p["run_id"], queue)
        raise
    return _follow(request, p["run_id"], queue, found.status, run_status.ACTIVE, _run_ended)


async def response_events(request: Request) -> Response:
    """The response's `response.*` events, live, until it ends (a terminal status, or its stream closed)."""
    response_id = request.path_params["response_id"]
    srv = server(request)
    queue = srv.runtime.hub.subscribe(response_id)
    try:
        found = srv.services.responses.get(response_id, frozenset())
    except Exception:
        srv.runtime.hub.unsubscribe(response_id, queue)
        raise
    return _follow(request, response_id, queue, found["status"], _RESPONSE_ACTIVE, lambda e: e.ends_stream)


_api = [
    ApiRoute("/overview", overview, methods=["GET"]),
    ApiRoute("/list/{kind}", list_objects, methods=["GET"]),
    ApiRoute("/threads/{thread_id}", thread, methods=["GET"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}", run, methods=["GET"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}/events", run_events, methods=["GET"]),
    ApiRoute("/vector_stores/{vector_store_id}", vector_store, methods=["GET"]),
    ApiRoute("/responses/{response_id}", response, methods=["GET"]),
    ApiRoute("/responses/{response_id}/events", response_events, methods=["GET"]),
    ApiRoute("/conversations/{conversation_id}", conversation, methods=["GET"]),
    ApiRoute("/containers/{container_id}", container, methods=["GET"]),
    ApiRoute("/replay", replay, methods=["GET"]),
]


def routes() -> list[BaseRoute]:
    """The inspector's routes; they go before the API's (`/_emulator` is mounted there too)."""
    return [
        Route("/", to_inspector, methods=["GET"]),
        Route("/inspector", page, methods=["GET"]),
        Route("/inspector/", page, methods=["GET"]),
        ApiRoute("/inspector/static/{name}", static_file, methods=["GET"]),
        Mount("/_emulator/inspector/api", routes=_api),
    ]
