"""The SQLAlchemy engine: SQLite in the data dir by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, QueuePool, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import PoolProxiedConnection

from emulator.store.schema import metadata


class Database:
    """The engine, and units of work on it.

    `transaction()` groups writes: every store write made inside it (by any collection, on the same
    thread or task) commits together, and reads made inside it see those writes. A reader elsewhere
    sees all of them or none, e.g. never a file `completed` while its store still counts it in progress.

    `read()` runs the read path's compiled statements on the driver's connection. For a SQLite file it
    keeps idle connections of its own rather than borrowing the pool's: a pool checkout and its
    checkin (events, reset with a rollback) cost twice what SQLite takes to answer the query.
    """

    def __init__(self, url: str) -> None:
        self._active: ContextVar[Connection | None] = ContextVar(f"transaction-{id(self)}", default=None)
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, future=True)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _tune_sqlite)
        metadata.create_all(self.engine)
        # Readers are shared between threads (one at a time): only SQLite files allow that (SQLAlchemy
        # opens them with check_same_thread=False and pools them with a QueuePool).
        self._keeps_readers = parsed.get_backend_name() == "sqlite" and isinstance(self.engine.pool, QueuePool)
        self._idle_readers: list[PoolProxiedConnection] = []

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction: the one already open here, or a new one committed at the end."""
        current = self._active.get()
        if current is not None:
            yield current
            return
        with self.engine.begin() as conn:
            token = self._active.set(conn)
            try:
                yield conn
            finally:
                self._active.reset(token)

    def connect(self) -> AbstractContextManager[Connection]:
        """A connection to read on: the open transaction's (to see its writes), or a new one."""
        current = self._active.get()
        return nullcontext(current) if current is not None else self.engine.connect()

    def active(self) -> Connection | None:
        """The transaction open in this thread or task, if any."""
        return self._active.get()

    def read(self, sql: str, parameters: Sequence[object] | dict[str, object]) -> list[Any]:
        """The rows of a read statement in the dialect's SQL, with its parameters in the driver's form."""
        active = self._active.get()
        if active is not None:  # inside a transaction: read on its connection, to see its writes
            return list(active.exec_driver_sql(sql, parameters).fetchall())
        if not self._keeps_readers:
            pooled = self.engine.raw_connection()
            try:
                return _fetch(pooled, sql, parameters)
            finally:
                pooled.close()
        # sqlite3 begins a transaction only before a write, so a reader holds none between reads and
        # each read sees every commit made before it. list.pop and append are atomic: no lock needed.
        reader = self._idle_readers.pop() if self._idle_readers else self._new_reader()
        try:
            return _fetch(reader, sql, parameters)
        finally:
            self._idle_readers.append(reader)

    def _new_reader(self) -> PoolProxiedConnection:
        reader = self.engine.raw_connection()
        reader.detach()  # the pool's own, counted against its size, stay free for transactions
        return reader

    def dispose(self) -> None:
        while self._idle_readers:
            self._idle_readers.pop().close()
        self.engine.dispose()


def _fetch(connection: PoolProxiedConnection, sql: str, parameters: Sequence[object] | dict[str, object]) -> list[Any]:
    cursor = connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())
    finally:
        cursor.close()


def _tune_sqlite(dbapi_connection: Any, _record: object) -> None:
    # WAL lets readers proceed during writes; NORMAL sync is durable enough with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
