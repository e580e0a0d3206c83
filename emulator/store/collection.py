"""A typed collection of API objects stored as JSON documents in one table."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, Integer, Select, Table, and_, bindparam, delete, func, insert, select, update

from emulator.store.database import Database

M = TypeVar("M", bound=BaseModel)
StatementKey = tuple[object, ...]


class _Identified(Protocol):
    """What every stored API object has besides its other fields."""

    id: str
    created_at: int


@dataclass
class Page:
    """One page of a list: the objects' JSON documents, in order, and whether more follow."""

    ids: list[str]
    documents: list[str]
    has_more: bool


class CursorNotFound(LookupError):
    """An `after`/`before` cursor names no object of the listed scope."""


class ParentNotFound(LookupError):
    """A page `within` a parent (e.g. a thread's messages) whose parent does not exist."""


class Collection(Generic[M]):
    """CRUD and cursor pagination for one SDK model type kept in one table.

    The read path's statements are built once, with bound parameters: building and cache-keying a
    SQLAlchemy statement costs more than SQLite takes to run it (see bench/read_path.py).
    """

    def __init__(self, db: Database, table: Table, model: type[M]) -> None:
        self._db = db
        self._engine = db.engine
        self._table = table
        self._model = model
        self._indexed = [c.name for c in table.columns if c.name not in ("seq", "id", "created_at", "data")]
        self._data_by_id = select(table.c.data).where(table.c.id == bindparam("id"))
        self._seq_by_id = select(table.c.seq).where(table.c.id == bindparam("id"))
        self._statements: dict[StatementKey, _Compiled] = {}
        self._data_by_id_sql = _Compiled(self._data_by_id, self._engine)
        self._seq_by_id_sql = _Compiled(self._seq_by_id, self._engine)

    def _read(self, compiled: "_Compiled", params: dict[str, object]) -> list[Any]:
        """Rows of a read, run on the driver's connection: SQLAlchemy's per-execution work (connection
        wrapper, result machinery) costs several times what the query does on the read path."""
        return self._db.read(compiled.sql, compiled.parameters(params))

    def _columns(self, obj: M) -> dict[str, object]:
        return {name: getattr(obj, name, None) for name in self._indexed}

    @staticmethod
    def _dump(obj: M) -> str:
        # Only the fields the object was built with: an absent optional field stays absent, not null.
        return obj.model_dump_json(exclude_unset=True, by_alias=True)

    def add(self, obj: M) -> M:
        ident = cast(_Identified, obj)
        row = {"id": ident.id, "created_at": ident.created_at, "data": self._dump(obj), **self._columns(obj)}
        with self._db.transaction() as conn:
            conn.execute(insert(self._table), row)
        return obj

    def save(self, obj: M) -> M:
        values = {"data": self._dump(obj), **self._columns(obj)}
        with self._db.transaction() as conn:
            conn.execute(update(self._table).where(self._table.c.id == cast(_Identified, obj).id), values)
        return obj

    def get(self, object_id: str) -> M | None:
        rows = self._read(self._data_by_id_sql, {"id": object_id})
        return self._model.model_validate_json(rows[0][0]) if rows else None

    def document(self, object_id: str, **where: str) -> str | None:
        """The stored JSON of an object (as the API returns it), if it matches `where`; not parsed."""
        names = tuple(sorted(where))
        t = self._table
        compiled = self._compiled(("document", *names), lambda: select(t.c.data).where(
            t.c.id == bindparam("id"), *(t.c[name] == bindparam(f"w_{name}") for name in names)))
        rows = self._read(compiled, {"id": object_id, **{f"w_{k}": v for k, v in where.items()}})
        return rows[0][0] if rows else None

    def exists(self, object_id: str) -> bool:
        return bool(self._read(self._seq_by_id_sql, {"id": object_id}))

    def find(self, **where: str) -> list[M]:
        """All objects matching the indexed columns given, in creation order."""
        query = select(self._table.c.data).order_by(self._table.c.seq)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._db.connect() as conn:
            return [self._model.model_validate_json(d) for d in conn.execute(query).scalars()]

    def find_in(self, column: str, values: Iterable[str], **where: str) -> list[M]:
        """Objects whose `column` is one of `values` (and matching `where`), in creation order."""
        query = select(self._table.c.data).where(self._table.c[column].in_(list(values))).order_by(self._table.c.seq)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._db.connect() as conn:
            return [self._model.model_validate_json(d) for d in conn.execute(query).scalars()]

    def count(self, **where: str) -> int:
        query = select(func.count()).select_from(self._table)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._db.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def remove(self, object_id: str) -> bool:
        with self._db.transaction() as conn:
            return conn.execute(delete(self._table).where(self._table.c.id == object_id)).rowcount > 0

    def remove_where(self, **where: str) -> int:
        query = delete(self._table)
        for name, value in where.items():
            query = query.where(self._table.c[name] == value)
        with self._db.transaction() as conn:
            return conn.execute(query).rowcount

    def page(
        self,
        *,
        limit: int,
        order: Literal["asc", "desc"],
        after: str | None = None,
        before: str | None = None,
        within: tuple[Collection[Any], str] | None = None,
        **where: str,
    ) -> Page:
        """A page in creation order (`asc`) or reverse (`desc`), after/before a cursor id.

        `within` (a parent collection and the `where` column naming the parent, e.g. threads and
        `thread_id`) finds the parent in the same query, and raises ParentNotFound when it is not
        there: an empty page and an unknown parent are told apart without a second query.
        """
        forward = order == "asc"
        # With only `before`, walk away from the cursor, then restore the page's order.
        reverse_walk = before is not None and after is None
        parent = (within[0]._table, within[1]) if within is not None else None
        shape = (tuple(sorted(where)), forward, after is not None, before is not None, forward != reverse_walk, parent)
        params: dict[str, object] = {f"w_{name}": value for name, value in where.items()}
        params["limit"] = limit + 1
        if after is not None or before is not None:
            with self._db.connect() as conn:
                if after is not None:
                    params["after_seq"] = self._seq_of(conn, after, where)
                if before is not None:
                    params["before_seq"] = self._seq_of(conn, before, where)
        rows = self._read(self._page_statement(shape), params)
        if parent is not None:
            if not rows:
                raise ParentNotFound(where[parent[1]])
            if rows[0][0] is None:  # the outer join's row for a parent without children here
                rows = []
        has_more = len(rows) > limit
        rows = rows[:limit]
        if reverse_walk:
            rows.reverse()
        return Page(ids=[r[0] for r in rows], documents=[r[1] for r in rows], has_more=has_more)

    def _compiled(self, key: StatementKey, build: Callable[[], Select[Any]]) -> "_Compiled":
        """The statement `build()` makes, compiled once per key (a query's shape)."""
        compiled = self._statements.get(key)
        if compiled is None:
            compiled = self._statements[key] = _Compiled(build(), self._engine)
        return compiled

    def _page_statement(self, shape: tuple[tuple[str, ...], bool, bool, bool, bool, tuple[Table, str] | None]
                        ) -> "_Compiled":
        def build() -> Select[Any]:
            names, forward, after, before, ascending, parent = shape
            t = self._table
            conditions = [t.c[name] == bindparam(f"w_{name}") for name in names]
            if after:
                conditions.append(t.c.seq > bindparam("after_seq") if forward else t.c.seq < bindparam("after_seq"))
            if before:
                conditions.append(t.c.seq < bindparam("before_seq") if forward else t.c.seq > bindparam("before_seq"))
            if parent is None:
                statement = select(t.c.id, t.c.data).where(*conditions)
            else:  # the parent's row, joined to its children on the page (one row of nulls: none)
                parents, column = parent
                statement = select(t.c.id, t.c.data).select_from(parents.outerjoin(t, and_(*conditions)))\
                    .where(parents.c.id == bindparam(f"w_{column}"))
            statement = statement.order_by(t.c.seq.asc() if ascending else t.c.seq.desc())
            return statement.limit(bindparam("limit", type_=Integer))

        return self._compiled(("page", *shape), build)

    def _seq_of(self, conn: Connection, object_id: str, where: dict[str, str]) -> int:
        t = self._table
        seq = conn.execute(select(t.c.seq).where(t.c.id == object_id, *(t.c[k] == v for k, v in where.items())))\
            .scalar()
        if seq is None:
            raise CursorNotFound(object_id)
        return int(seq)


class _Compiled:
    """A statement compiled once for the engine's dialect: its SQL and how to order its parameters."""

    def __init__(self, statement: Select[Any], engine: Engine) -> None:
        compiled = statement.compile(dialect=engine.dialect)
        self.sql = str(compiled)
        self._positions = compiled.positiontup  # None for dialects with named parameters
        self._defaults = {k: v for k, v in compiled.params.items() if v is not None}  # e.g. SQLite's OFFSET 0

    def parameters(self, params: dict[str, object]) -> tuple[object, ...] | dict[str, object]:
        merged = {**self._defaults, **params}
        return tuple(merged[name] for name in self._positions) if self._positions else merged
