"""Vector store files: the same file id can be in several stores, so rows are keyed by (store, file)."""

from __future__ import annotations

from openai.types.vector_stores import VectorStoreFile
from sqlalchemy import delete, func, insert, select, update

from emulator.store.collection import Collection


class VectorStoreFileCollection(Collection[VectorStoreFile]):
    """A Collection whose rows also remember the file batch that added them (not part of the object)."""

    def _columns(self, obj: VectorStoreFile) -> dict[str, object]:
        return {"vector_store_id": obj.vector_store_id, "status": obj.status}

    def add(self, obj: VectorStoreFile, batch_id: str | None = None) -> VectorStoreFile:
        row = {"id": obj.id, "created_at": obj.created_at, "data": self._dump(obj), "batch_id": batch_id,
               **self._columns(obj)}
        with self._db.transaction() as conn:
            conn.execute(insert(self._table), row)
        return obj

    def add_all(self, objs: list[VectorStoreFile], batch_id: str | None = None) -> None:
        """Several adds in one transaction."""
        rows = [{"id": obj.id, "created_at": obj.created_at, "data": self._dump(obj), "batch_id": batch_id,
                 **self._columns(obj)} for obj in objs]
        if rows:
            with self._db.transaction() as conn:
                conn.execute(insert(self._table), rows)

    def save(self, obj: VectorStoreFile) -> VectorStoreFile:
        t = self._table
        with self._db.transaction() as conn:
            conn.execute(update(t).where(t.c.id == obj.id, t.c.vector_store_id == obj.vector_store_id),
                         {"data": self._dump(obj), **self._columns(obj)})
        return obj

    def save_all(self, objs: list[VectorStoreFile]) -> None:
        """Several saves in one transaction."""
        t = self._table
        with self._db.transaction() as conn:
            for obj in objs:
                conn.execute(update(t).where(t.c.id == obj.id, t.c.vector_store_id == obj.vector_store_id),
                             {"data": self._dump(obj), **self._columns(obj)})

    def get_in(self, vector_store_id: str, file_id: str) -> VectorStoreFile | None:
        found = self.find(vector_store_id=vector_store_id, id=file_id)
        return found[0] if found else None

    def batch_of(self, vector_store_id: str, file_id: str) -> str | None:
        t = self._table
        with self._db.connect() as conn:
            return conn.execute(select(t.c.batch_id).where(t.c.vector_store_id == vector_store_id,
                                                           t.c.id == file_id)).scalar()

    def remove_in(self, vector_store_id: str, file_id: str) -> bool:
        t = self._table
        with self._db.transaction() as conn:
            return conn.execute(delete(t).where(t.c.vector_store_id == vector_store_id, t.c.id == file_id)).rowcount > 0

    def status_counts(self, **where: str) -> dict[str, int]:
        t = self._table
        query = select(t.c.status, func.count()).group_by(t.c.status)
        for name, value in where.items():
            query = query.where(t.c[name] == value)
        with self._db.connect() as conn:
            return {status: int(n) for status, n in conn.execute(query)}
