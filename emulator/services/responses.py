"""Responses: create (checking every reference first), retrieve, delete, cancel, input items, token counts.

A response's context is what came before it (the chain of `previous_response_id`, or its
conversation's items) and its own input; its loop runs in `emulator.responses`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from emulator import tokens
from emulator.errors import InvalidRequest, NotFound
from emulator.objects import StoredItem
from emulator.responses import ResponseEngine, ResponseJob
from emulator.responses.items import chat_messages, input_items
from emulator.responses.projection import FaceContext
from emulator.responses.request import agent_request
from emulator.responses.view import shown_item, shown_response
from emulator.runtime import Runtime
from emulator.services.common import page_of
from emulator.services.conversations import Context, ConversationService
from emulator.services.response_tools import ResponseTools
from emulator.signals import Event
from emulator.store import Page
from emulator.store.collection import CursorNotFound

ECHOED = ("prompt", "prompt_cache_key", "safety_identifier", "prompt_cache_retention", "user")
"""Parameters the emulator does not act on that the response shows as given (others have their own place)."""


class ResponseService:
    def __init__(self, rt: Runtime, engine: ResponseEngine, conversations: ConversationService,
                 tools: ResponseTools) -> None:
        self._rt = rt
        self._engine = engine
        self._conversations = conversations
        self._tools = tools

    # -- create ---------------------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> tuple[dict[str, Any], asyncio.Queue[Event] | None]:
        """Start a response; returns it as created, and its event queue when `stream` is asked."""
        if body.get("background") and body.get("store") is False:
            raise InvalidRequest("Background mode requires `store` to be true.", param="background")
        previous, conversation_id = body.get("previous_response_id"), _conversation_id(body.get("conversation"))
        if previous and conversation_id:
            raise InvalidRequest("Mutually exclusive parameters: Ensure you are only providing one of: "
                                 "'previous_response_id' or 'conversation'.", param="previous_response_id",
                                 code="mutually_exclusive_parameters")
        context = self._chain(previous) if previous else (
            self._conversations.context(conversation_id) if conversation_id else [])
        response_id = self._rt.ids.new("resp_")
        items = _resolve_references(input_items(body["input"] if "input" in body else [], self._rt.ids.new), context)
        _check_function_outputs(context, items)
        tools, container_id, code_files = self._tools.resolve(body.get("tools") or [], response_id)
        response = self._new_response(body, response_id, tools, conversation_id)
        given = FaceContext(
            instructions=body.get("instructions"), context=[*context, *((i, None) for i in items)],
            read_file=self._tools.read_file, filename=self._tools.filename, container_id=container_id,
            truncation=body.get("truncation") or "disabled", new_id=self._rt.ids.new,
            context_window=self._rt.settings.context_window_tokens)
        self._check_fits(given)
        store = body.get("store", True)
        if store:
            now = self._rt.clock.now()
            with self._rt.stores.db.transaction():
                for item in items:
                    self._rt.stores.items.add(StoredItem(id=self._rt.ids.new("itm_"), created_at=now,
                                                         owner_id=response_id, kind="input", item_id=item["id"],
                                                         item=item))
        job = ResponseJob(response=response, given=given, include=frozenset(body.get("include") or []), store=store,
                          conversation_id=conversation_id,
                          request=agent_request(body, response_id, container_id, code_files,
                                                self._rt.settings.max_model_calls_per_run))
        queue = self._engine.start(job, stream=bool(body.get("stream")))
        return shown_response(response, job.include), queue

    async def finished(self, response_id: str, include: frozenset[str]) -> dict[str, Any]:
        found = await self._engine.finished(response_id)
        assert found is not None
        return shown_response(found, include)

    def _new_response(self, body: dict[str, Any], response_id: str, tools: list[dict[str, Any]],
                      conversation_id: str | None) -> dict[str, Any]:
        echoed: dict[str, Any] = {k: body[k] for k in ECHOED if k in body}
        return {
            "id": response_id, "object": "response", "created_at": self._rt.clock.now(),
            "status": "queued" if body.get("background") else "in_progress", "background": bool(body.get("background")),
            "error": None, "incomplete_details": None, "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"), "max_tool_calls": body.get("max_tool_calls"),
            "model": body["model"], "output": [], "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": body.get("previous_response_id"),
            "reasoning": body.get("reasoning") or {"effort": None, "summary": None},
            "service_tier": body.get("service_tier") or "default", "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": {"format": {"type": "text"}, "verbosity": "medium", **(body.get("text") or {})},
            "tool_choice": body.get("tool_choice", "auto"), "tools": tools, "top_logprobs": body.get("top_logprobs", 0),
            "top_p": body.get("top_p", 1.0), "truncation": body.get("truncation") or "disabled", "usage": None,
            "metadata": body.get("metadata") or {},
            "conversation": {"id": conversation_id} if conversation_id else None, **echoed,
        }

    def _chain(self, response_id: str) -> Context:
        """The items of `response_id` and of the responses before it, oldest first."""
        chain: list[Context] = []
        seen: set[str] = set()
        current: str | None = response_id
        while current and current not in seen:
            seen.add(current)
            found = self._rt.stores.responses.get(current)
            if found is None:
                if current == response_id:
                    raise NotFound(f"Previous response with id '{response_id}' not found.",
                                   param="previous_response_id", code="previous_response_not_found")
                break
            chain.append([(r.item, r.model_view) for r in self._rt.stores.items.of(current)])
            current = found.previous_response_id
        return [entry for part in reversed(chain) for entry in part]

    def _check_fits(self, given: FaceContext) -> None:
        if given.truncation == "auto":
            return
        messages = chat_messages(given.context, given.read_file)
        system = [{"role": "system", "content": given.instructions}] if given.instructions else []
        if tokens.count_chat(system + messages) > self._rt.settings.context_window_tokens:
            raise InvalidRequest("Your input exceeds the context window of this model. Please adjust your input "
                                 "and try again.", param="input", code="context_length_exceeded")

    # -- reading ------------------------------------------------------------------------------------
    def get(self, response_id: str, include: frozenset[str]) -> dict[str, Any]:
        found = self._engine.current(response_id)
        if found is None:
            raise NotFound(f"Response with id '{response_id}' not found.", param="response_id")
        return shown_response(found, include)

    def page(self, params) -> Page:
        """Stored responses a page at a time (no list endpoint serves this: the inspector reads it)."""
        return page_of(self._rt.stores.responses, params)

    def delete(self, response_id: str) -> dict[str, Any]:
        self.get(response_id, frozenset())
        self._engine.forget(response_id)
        with self._rt.stores.db.transaction():
            self._rt.stores.items.remove_where(owner_id=response_id)
            self._rt.stores.responses.remove(response_id)
        return {"id": response_id, "object": "response", "deleted": True}

    async def cancel(self, response_id: str) -> dict[str, Any]:
        response = self.get(response_id, frozenset())
        if not response.get("background"):
            raise InvalidRequest("Only responses created with background=true can be cancelled.", param="response_id")
        if self._engine.cancel(response_id):
            await self._engine.finished(response_id)
        return self.get(response_id, frozenset())

    def resume(self, response_id: str, starting_after: int) -> tuple[list[Event], asyncio.Queue[Event] | None]:
        response = self.get(response_id, frozenset())
        if not response.get("background"):
            raise InvalidRequest("Only responses created with background=true can be streamed again.", param="stream")
        found = self._engine.resume(response_id, starting_after)
        if found is None:
            raise InvalidRequest("This response's events are no longer available to stream.", param="stream")
        return found

    def input_items(self, response_id: str, *, limit: int, order: str, after: str | None,
                    include: frozenset[str]) -> Page:
        self.get(response_id, frozenset())
        try:
            page = self._rt.stores.items.page_of(response_id, kind="input", limit=limit,
                                                 order="asc" if order == "asc" else "desc", after=after)
        except CursorNotFound:
            raise InvalidRequest(f"No item found with id '{after}' to list after.", param="after") from None
        shown = [shown_item(StoredItem.model_validate_json(d).item, include) for d in page.documents]
        return Page(ids=[i["id"] for i in shown], documents=[json.dumps(i) for i in shown], has_more=page.has_more)

    def input_tokens(self, body: dict[str, Any]) -> dict[str, Any]:
        """What the request's input would take of the prompt: instructions, context and input, as chat."""
        previous, conversation_id = body.get("previous_response_id"), _conversation_id(body.get("conversation"))
        context = self._chain(previous) if previous else (
            self._conversations.context(conversation_id) if conversation_id else [])
        raw = body.get("input")
        items = input_items(raw, self._rt.ids.new) if raw is not None else []
        messages = chat_messages([*context, *((i, None) for i in items)], self._tools.read_file)
        system = [{"role": "system", "content": body["instructions"]}] if body.get("instructions") else []
        return {"object": "response.input_tokens", "input_tokens": tokens.count_chat(system + messages)}


def _conversation_id(conversation: Any) -> str | None:
    if isinstance(conversation, dict):
        return conversation.get("id")
    return conversation


def _resolve_references(items: list[dict[str, Any]], context: Context) -> list[dict[str, Any]]:
    """`item_reference` items replaced by the items they name (from the context)."""
    known = {item["id"]: item for item, _view in context}
    resolved = []
    for item in items:
        if item.get("type") == "item_reference":
            found = known.get(item.get("id", ""))
            if found is None:
                raise NotFound(f"Item with id '{item.get('id')}' not found.", param="input")
            resolved.append(found)
        else:
            resolved.append(item)
    return resolved


def _check_function_outputs(context: Context, items: list[dict[str, Any]]) -> None:
    calls = {item.get("call_id") for item, _view in context if item.get("type") == "function_call"}
    calls |= {item.get("call_id") for item in items if item.get("type") == "function_call"}
    for item in items:
        if item.get("type") == "function_call_output" and item.get("call_id") not in calls:
            raise InvalidRequest(f"No tool call found for function call output with call_id {item.get('call_id')}.",
                                 param="input")
