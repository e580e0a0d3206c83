"""Small pieces the services share."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from emulator.errors import InvalidRequest, NotFound
from emulator.store import Collection, Page
from emulator.store.collection import CursorNotFound

M = TypeVar("M", bound=BaseModel)


def require(collection: Collection[M], object_id: str, kind: str) -> M:
    obj = collection.get(object_id)
    if obj is None:
        raise NotFound.object(kind, object_id)
    return obj


def require_exists(collection: Collection, object_id: str, kind: str) -> None:
    """`require` without reading the object: for a parent whose existence is all a request checks."""
    if not collection.exists(object_id):
        raise NotFound.object(kind, object_id)


def page_of(collection: Collection, params, within: tuple[Collection, str] | None = None, /, **where: str) -> Page:
    """A page of `collection` (see `Collection.page`, and its `within`: a parent found in the same query)."""
    try:
        return collection.page(limit=params.limit, order=params.order, after=params.after, before=params.before,
                               within=within, **where)
    except CursorNotFound as exc:
        param = "after" if params.after == exc.args[0] else "before"
        raise InvalidRequest(f"No object found with id '{exc.args[0]}' to list {param}.", param=param) from None


def page_in_memory(objects: Sequence[dict[str, Any]], params) -> Page:
    """`page_of` for API objects made on the fly (in creation order): the same cursors, order, errors."""
    ordered = list(objects) if params.order == "asc" else list(reversed(objects))
    ids = [obj["id"] for obj in ordered]

    def position(cursor: str, param: str) -> int:
        if cursor not in ids:
            raise InvalidRequest(f"No object found with id '{cursor}' to list {param}.", param=param)
        return ids.index(cursor)

    start = position(params.after, "after") + 1 if params.after else 0
    end = position(params.before, "before") if params.before else len(ordered)
    window = ordered[start:max(start, end)]
    # With only `before`, the page is the one just before the cursor (as Collection.page walks it).
    page = window[-params.limit:] if params.before and not params.after else window[:params.limit]
    return Page(ids=[obj["id"] for obj in page], documents=[json.dumps(obj) for obj in page],
                has_more=len(window) > params.limit)
