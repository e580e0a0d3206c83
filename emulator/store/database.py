"""The SQLAlchemy engine: SQLite in the data dir by default, any SQLAlchemy URL otherwise."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from emulator.store.schema import metadata


class Database:
    """The engine, and units of work on it.

    `transaction()` groups writes: every store write made inside it (by any collection, on the same
    thread or task) commits together, and reads made inside it see those writes. A reader elsewhere
    sees all of them or none, e.g. never a file `completed` while its store still counts it in progress.
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

    def dispose(self) -> None:
        self.engine.dispose()


def _tune_sqlite(dbapi_connection: Any, _record: object) -> None:
    # WAL lets readers proceed during writes; NORMAL sync is durable enough with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
