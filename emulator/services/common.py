"""Small pieces the services share."""

from __future__ import annotations

from typing import Generic, TypeVar

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


def page_of(collection: Collection, params, **where: str) -> Page:
    try:
        return collection.page(limit=params.limit, order=params.order, after=params.after, before=params.before,
                               **where)
    except CursorNotFound as exc:
        param = "after" if params.after == exc.args[0] else "before"
        raise InvalidRequest(f"No object found with id '{exc.args[0]}' to list {param}.", param=param) from None
