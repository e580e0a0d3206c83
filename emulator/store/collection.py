"""A typed collection of API objects stored as JSON documents in one table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Iterable, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import Table, delete, func, insert, select, update

from emulator.store.database import Database

M = TypeVar("M", bound=BaseModel)


@dataclass
class Page:
    """One page of a list: the objects' JSON documents, in order, and whether more follow."""

    ids: list[str]
    documents: list[str]
    has_more: bool


class CursorNotFound(LookupError):
    """An `after`/`before` cursor names no object of the listed scope."""


class Collection(Generic[M]):
    """CRUD and cursor pagination for one SDK model type kept in one table."""

    def __init__(self, db: Database, table: Table, model: type[M]) -> None:
        self._engine = db.engine
        self._table = table
        self._model = model
        self._indexed = [c.name for c in table.columns if c.name not in ("seq", "id", "created_at", "data")]

    def _columns(self, obj: M) -> dict[str, object]:
        return {name: getattr(obj, name, None) for name in self._indexed}

    @staticmethod
    def _dump(obj: M) -> str:
        # Only the fields the object was built with: an absent optional field stays absent, not null.
        return obj.model_dump_json(exclude_unset=True)

    def add(self, obj: M) -> M:
        row = {"id": obj.id, "created_at": obj.created_at, "data": self._dump(obj), **self._columns(obj)}
        with self._engine.begin() as conn:
            conn.execute(insert(self._table), row)
        return obj

    def save(self, obj: M) -> M:
        values = {"data": self._dump(obj), **self._columns(obj)}
        with self._engine.begin() as conn:
            conn.execute(update(self._table).where(self._table.c.id == obj.id), values)
        return obj

    def get(self, object_id: str) -> M | None:
        with self._engine.connect() as conn:
            data = conn.execute(select(self._table.c.data).where(self._table.c.id == object_id)).scalar()
        return None if data is None else self._model.model_validate_json(data)

    def find(self, **where: str) -> list[M]:
        """All objects matching the indexed columns given, in creation order."""
        query = select(self._table.c.data).order_by(self._table.c.seq)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._engine.connect() as conn:
            return [self._model.model_validate_json(d) for d in conn.execute(query).scalars()]

    def find_in(self, column: str, values: Iterable[str], **where: str) -> list[M]:
        """Objects whose `column` is one of `values` (and matching `where`), in creation order."""
        query = select(self._table.c.data).where(self._table.c[column].in_(list(values))).order_by(self._table.c.seq)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._engine.connect() as conn:
            return [self._model.model_validate_json(d) for d in conn.execute(query).scalars()]

    def count(self, **where: str) -> int:
        query = select(func.count()).select_from(self._table)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def remove(self, object_id: str) -> bool:
        with self._engine.begin() as conn:
            return conn.execute(delete(self._table).where(self._table.c.id == object_id)).rowcount > 0

    def remove_where(self, **where: str) -> int:
        query = delete(self._table)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._engine.begin() as conn:
            return conn.execute(query).rowcount

    def page(
        self,
        *,
        limit: int,
        order: Literal["asc", "desc"],
        after: str | None = None,
        before: str | None = None,
        **where: str,
    ) -> Page:
        """A page in creation order (`asc`) or reverse (`desc`), after/before a cursor id."""
        t = self._table
        scope = [t.c[name] == value for name, value in where.items()]
        with self._engine.connect() as conn:
            forward = order == "asc"
            query = select(t.c.id, t.c.data).where(*scope)
            if after is not None:
                seq = self._seq_of(conn, after, scope)
                query = query.where(t.c.seq > seq if forward else t.c.seq < seq)
            if before is not None:
                seq = self._seq_of(conn, before, scope)
                query = query.where(t.c.seq < seq if forward else t.c.seq > seq)
            # With only `before`, walk away from the cursor, then restore the page's order.
            reverse_walk = before is not None and after is None
            ascending = forward != reverse_walk
            query = query.order_by(t.c.seq.asc() if ascending else t.c.seq.desc()).limit(limit + 1)
            rows = conn.execute(query).all()
        has_more = len(rows) > limit
        rows = rows[:limit]
        if reverse_walk:
            rows.reverse()
        return Page(ids=[r[0] for r in rows], documents=[r[1] for r in rows], has_more=has_more)

    def _seq_of(self, conn, object_id: str, scope) -> int:
        seq = conn.execute(select(self._table.c.seq).where(self._table.c.id == object_id, *scope)).scalar()
        if seq is None:
            raise CursorNotFound(object_id)
        return int(seq)
