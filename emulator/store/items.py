"""Items of responses and conversations, listed by their owner with the item's own id as the cursor."""

from __future__ import annotations

from typing import Literal

from emulator.objects import StoredItem
from emulator.store.collection import Collection, CursorNotFound, Page


class ItemCollection(Collection[StoredItem]):
    def of(self, owner_id: str, kind: str | None = None) -> list[StoredItem]:
        """The owner's items in the order they were added."""
        return self.find(owner_id=owner_id, **({"kind": kind} if kind else {}))

    def record(self, owner_id: str, item_id: str) -> StoredItem | None:
        found = self.find(owner_id=owner_id, item_id=item_id)
        return found[0] if found else None

    def page_of(self, owner_id: str, *, limit: int, order: Literal["asc", "desc"], after: str | None = None,
                kind: str | None = None) -> Page:
        """A page of the owner's items; `after` is an item id (the wire's cursor), not a record id."""
        where: dict[str, str] = {"owner_id": owner_id, **({"kind": kind} if kind else {})}
        cursor = None
        if after is not None:
            found = self.find(item_id=after, **where)
            if not found:
                raise CursorNotFound(after)
            cursor = found[0].id
        if kind:
            return self.page(limit=limit, order=order, after=cursor, owner_id=owner_id, kind=kind)
        return self.page(limit=limit, order=order, after=cursor, owner_id=owner_id)
