"""Conversations: a list of items that responses read as context and append their input and output to.

Items are kept in the one item store responses use (`Stores.items`, owner = the conversation), so a
conversation is a list of the very items its responses made, not a second copy of anything.
"""

from __future__ import annotations

import json
from typing import Any

from openai.types.conversations import Conversation

from emulator.errors import InvalidRequest, NotFound
from emulator.objects import StoredItem, revise
from emulator.responses.items import input_items
from emulator.responses.view import shown_item
from emulator.runtime import Runtime
from emulator.services.common import page_of
from emulator.store import Page
from emulator.store.collection import CursorNotFound

MAX_ITEMS_AT_ONCE = 20
Context = list[tuple[dict[str, Any], dict[str, Any] | None]]


class ConversationService:
    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._store = rt.stores.conversations
        self._items = rt.stores.items

    def create(self, body: dict[str, Any]) -> Conversation:
        conversation = Conversation(id=self._rt.ids.new("conv_"), object="conversation",
                                    created_at=self._rt.clock.now(), metadata=body.get("metadata") or {})
        items = body.get("items") or []
        _check_count(items, "items")
        with self._rt.stores.db.transaction():
            self._store.add(conversation)
            self._add(conversation.id, items)
        return conversation

    def get(self, conversation_id: str) -> Conversation:
        found = self._store.get(conversation_id)
        if found is None:
            raise NotFound(f"Conversation with id '{conversation_id}' not found.", param="conversation_id")
        return found

    def page(self, params) -> Page:
        """Conversations a page at a time (no list endpoint serves this: the inspector reads it)."""
        return page_of(self._store, params)

    def update(self, conversation_id: str, body: dict[str, Any]) -> Conversation:
        conversation = self.get(conversation_id)
        return self._store.save(revise(conversation, metadata=body.get("metadata") or {}))

    def delete(self, conversation_id: str) -> dict[str, Any]:
        self.get(conversation_id)
        with self._rt.stores.db.transaction():
            self._items.remove_where(owner_id=conversation_id)
            self._store.remove(conversation_id)
        return {"id": conversation_id, "object": "conversation.deleted", "deleted": True}

    # -- items ---------------------------------------------------------------------------------------
    def add_items(self, conversation_id: str, items: list[dict[str, Any]], include: frozenset[str]) -> dict[str, Any]:
        self.get(conversation_id)
        _check_count(items, "items")
        with self._rt.stores.db.transaction():
            added = self._add(conversation_id, items)
        data = [shown_item(item, include) for item in added]
        return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None, "has_more": False}

    def _add(self, conversation_id: str, raw: list[dict[str, Any]]) -> list[dict[str, Any]]:
        items = input_items(raw, self._rt.ids.new)
        now = self._rt.clock.now()
        for item in items:
            self._items.add(StoredItem(id=self._rt.ids.new("itm_"), created_at=now, owner_id=conversation_id,
                                       kind="conversation", item_id=item["id"], item=item))
        return items

    def page_items(self, conversation_id: str, *, limit: int, order: str, after: str | None,
                   include: frozenset[str]) -> Page:
        self.get(conversation_id)
        try:
            page = self._items.page_of(conversation_id, limit=limit, order="asc" if order == "asc" else "desc",
                                       after=after)
        except CursorNotFound:
            raise InvalidRequest(f"No item found with id '{after}' to list after.", param="after") from None
        shown = [shown_item(StoredItem.model_validate_json(d).item, include) for d in page.documents]
        return Page(ids=[i["id"] for i in shown], documents=[json.dumps(i) for i in shown], has_more=page.has_more)

    def item(self, conversation_id: str, item_id: str, include: frozenset[str]) -> dict[str, Any]:
        self.get(conversation_id)
        return shown_item(self._record(conversation_id, item_id).item, include)

    def delete_item(self, conversation_id: str, item_id: str) -> Conversation:
        conversation = self.get(conversation_id)
        self._items.remove(self._record(conversation_id, item_id).id)
        return conversation

    def _record(self, conversation_id: str, item_id: str) -> StoredItem:
        found = self._items.record(conversation_id, item_id)
        if found is None:
            raise NotFound(f"Item with id '{item_id}' not found.", param="item_id")
        return found

    def context(self, conversation_id: str) -> Context:
        """The conversation's items, oldest first, as a response reads them."""
        self.get(conversation_id)
        return [(r.item, r.model_view) for r in self._items.of(conversation_id)]


def _check_count(items: list[Any], param: str) -> None:
    if len(items) > MAX_ITEMS_AT_ONCE:
        raise InvalidRequest(
            f"Invalid '{param}': array too long. Expected an array with maximum length {MAX_ITEMS_AT_ONCE}, "
            f"but got an array with length {len(items)} instead.", param=param, code="array_above_max_length")
