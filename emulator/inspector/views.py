"""The inspector's JSON views: what each page shows, read through the services the API uses.

Each function takes the running `Server` and returns a plain dict. Lists are pages (the API's own
cursors); a thread's messages come newest first, a page at a time, so a long thread opens at once.
"""

from __future__ import annotations

import json
from typing import Any

from emulator.api.http import ListParams
from emulator.app_state import Server
from emulator.services.runs import SEARCH_CONTENT
from emulator.store import Page

LISTS = ("assistants", "threads", "files", "vector_stores", "responses", "conversations", "containers")
"""The lists the inspector shows."""
PLANNED: tuple[str, ...] = ()
"""Sections the page names but cannot show yet."""
WHOLE = frozenset({"file_search_call.results", "code_interpreter_call.outputs", "message.input_image.image_url"})
"""A response's items are shown whole: search results, code outputs, input image URLs."""


def _page(page: Page) -> dict[str, Any]:
    return {"data": [json.loads(d) for d in page.documents], "has_more": page.has_more,
            "first_id": page.ids[0] if page.ids else None, "last_id": page.ids[-1] if page.ids else None}


def _all(page_of, limit: int = 100) -> list[dict[str, Any]]:
    """Up to `limit` objects of a list, oldest first."""
    return _page(page_of(ListParams(limit, "asc", None, None)))["data"]


def overview(server: Server) -> dict[str, Any]:
    settings = server.runtime.settings
    tape = server.tape
    return {
        "object": "inspector.overview",
        "lists": list(LISTS), "planned": list(PLANNED),
        "recording": None if tape is None else {"mode": tape.mode, "cassette": str(tape.path),
                                                "misses": len(tape.misses)},
        "deterministic": settings.deterministic,
        "data_dir": str(settings.data_dir),
    }


def list_page(server: Server, kind: str, params: ListParams) -> dict[str, Any]:
    services = server.services
    pagers = {"assistants": services.assistants.page, "threads": services.threads.page,
              "files": services.files.page, "vector_stores": services.vector_stores.page,
              "responses": services.responses.page, "conversations": services.conversations.page,
              "containers": services.containers.page}
    return {"object": "list", "kind": kind, **_page(pagers[kind](params))}


def thread(server: Server, thread_id: str, params: ListParams) -> dict[str, Any]:
    """The thread, a page of its messages (newest first) and its runs (newest first, up to 100)."""
    services = server.services
    found = services.threads.get(thread_id)
    messages = _page(services.messages.page(thread_id, params))
    runs = _page(services.runs.page(thread_id, ListParams(100, "desc", None, None)))
    return {"object": "inspector.thread", "thread": found.model_dump(mode="json", exclude_unset=True),
            "messages": messages, "runs": runs["data"], "more_runs": runs["has_more"]}


def run(server: Server, thread_id: str, run_id: str) -> dict[str, Any]:
    """A run with everything the timeline shows: steps (search results with their text), the messages it
    wrote, its traced events and model calls, the file_search calls' queries, and replay misses."""
    services = server.services
    found = services.runs.get(thread_id, run_id)
    steps = _page(services.runs.steps_page(thread_id, run_id, ListParams(100, "asc", None, None),
                                           include=(SEARCH_CONTENT,)))
    searches = {}
    for step in steps["data"]:
        for call in (step.get("step_details") or {}).get("tool_calls") or []:
            if call.get("type") == "file_search":
                searches[call["id"]] = services.runs.search_call(call["id"])
    messages = _all(lambda p: services.messages.page(thread_id, p, run_id=run_id))
    tape = server.tape
    misses = [m for m in tape.misses if m.get("run_id") == run_id] if tape is not None else []
    return {"object": "inspector.run", "run": found.model_dump(mode="json", exclude_unset=True),
            "steps": steps["data"], "more_steps": steps["has_more"], "messages": messages,
            "trace": server.runtime.traces.of(run_id), "file_searches": searches, "replay_misses": misses}


def response(server: Server, response_id: str) -> dict[str, Any]:
    """A response with its items whole: input items (up to 500), output, and its traced events and model calls."""
    services = server.services
    found = services.responses.get(response_id, WHOLE)
    items = _page(services.responses.input_items(response_id, limit=500, order="asc", after=None, include=WHOLE))
    tape = server.tape
    misses = [m for m in tape.misses if m.get("run_id") == response_id] if tape is not None else []
    return {"object": "inspector.response", "response": found, "input": items["data"], "more_input": items["has_more"],
            "trace": server.runtime.traces.of(response_id), "replay_misses": misses}


def conversation(server: Server, conversation_id: str, params: ListParams) -> dict[str, Any]:
    """The conversation and a page of its items (oldest first unless `order` says otherwise), shown whole."""
    services = server.services.conversations
    found = services.get(conversation_id)
    items = _page(services.page_items(conversation_id, limit=params.limit, order=params.order, after=params.after,
                                      include=WHOLE))
    return {"object": "inspector.conversation", "conversation": found.model_dump(mode="json"), "items": items}


def container(server: Server, container_id: str) -> dict[str, Any]:
    """A container (its status current: expired if overdue) and all its files, oldest first."""
    services = server.services.containers
    found = services.retrieve(container_id)
    files = [f.model_dump(mode="json") for f in services.files(container_id)]
    return {"object": "inspector.container", "container": found.model_dump(mode="json", exclude_unset=True),
            "files": files}


def vector_store(server: Server, vector_store_id: str) -> dict[str, Any]:
    """A vector store and its files (up to 100), each with its status, filename, chunk and token counts."""
    services = server.services.vector_stores
    store = services.get(vector_store_id)
    files = _page(services.files.page(vector_store_id, ListParams(100, "asc", None, None)))
    counts = services.files.chunk_counts(vector_store_id)
    for entry in files["data"]:
        found = server.services.files.find(entry["id"])
        entry["filename"] = found.filename if found is not None else None
        entry.update(counts.get(entry["id"], {"chunks": 0, "tokens": 0}))
    return {"object": "inspector.vector_store", "vector_store": store.model_dump(mode="json", exclude_unset=True),
            "files": files["data"], "more_files": files["has_more"]}


def replay(server: Server, offset: int = 0, limit: int = 50) -> dict[str, Any]:
    """The cassette loaded (or being recorded), a window of its entries, and this session's replay misses."""
    tape = server.tape
    if tape is None:
        return {"object": "inspector.replay", "mode": None, "cassette": None, "interactions": [], "tool_runs": [],
                "total_interactions": 0, "total_tool_runs": 0, "misses": []}
    interactions = [{"index": offset + i, **interaction.model_dump(mode="json")}
                    for i, interaction in enumerate(tape.cassette.interactions[offset:offset + limit])]
    tool_runs = [r.model_dump(mode="json") for r in tape.cassette.tool_runs[:limit]]
    return {"object": "inspector.replay", "mode": tape.mode, "cassette": str(tape.path),
            "interactions": interactions, "total_interactions": len(tape.cassette.interactions),
            "tool_runs": tool_runs, "total_tool_runs": len(tape.cassette.tool_runs),
            "misses": list(reversed(tape.misses))}
