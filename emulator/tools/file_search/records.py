"""file_search's own tables, beside the API objects: parsed documents, their chunks, and tool-call results.

They live in the emulator's database (SQLite or any SQLAlchemy URL), so the
keyword index, the inline path and citations survive restarts and follow the
database, while the vectors live in Chroma.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Column, Index, Integer, String, Table, Text, delete, func, insert, select

from emulator.store.database import Database
from emulator.store.schema import metadata  # the emulator's tables: a data reset clears these too

documents = Table(
    "file_search_documents", metadata,
    Column("vector_store_id", String(64), primary_key=True),
    Column("file_id", String(64), primary_key=True),
    Column("tokens", Integer, nullable=False),
    Column("page_starts", Text, nullable=False),
    Column("text", Text, nullable=False),
)

chunks = Table(
    "file_search_chunks", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("vector_store_id", String(64), nullable=False),
    Column("file_id", String(64), nullable=False),
    Column("chunk_index", Integer, nullable=False),
    Column("start", Integer, nullable=False),
    Column("page", Integer, nullable=False),
    Column("text", Text, nullable=False),
    Column("terms", Text, nullable=False),
    Index("ix_file_search_chunks_store_file", "vector_store_id", "file_id"),
)

calls = Table(
    "file_search_calls", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True),
    Column("run_id", String(64), nullable=False, index=True),
    Column("data", Text, nullable=False),
)


def chunk_key(file_id: str, index: int) -> str:
    return f"{file_id}:{index}"


@dataclass(frozen=True)
class StoredChunk:
    file_id: str
    index: int
    text: str
    page: int

    @property
    def key(self) -> str:
        return chunk_key(self.file_id, self.index)


@dataclass(frozen=True)
class StoredDocument:
    file_id: str
    tokens: int
    text: str
    page_starts: list[int]


class Records:
    def __init__(self, db: Database) -> None:
        self._db = db
        metadata.create_all(db.engine, tables=[documents, chunks, calls])  # defined after the store made its own

    # -- documents and chunks ----------------------------------------------------------------
    def save_files(self, vector_store_id: str, files: Iterable[tuple[str, StoredDocument, list[dict]]]) -> None:
        """Replace the documents and chunks of several files in one transaction."""
        with self._db.transaction() as conn:
            for file_id, document, chunk_rows in files:
                self._delete_file(conn, vector_store_id, file_id)
                conn.execute(insert(documents), {
                    "vector_store_id": vector_store_id, "file_id": file_id, "tokens": document.tokens,
                    "page_starts": json.dumps(document.page_starts), "text": document.text})
                if chunk_rows:
                    conn.execute(insert(chunks), [{"vector_store_id": vector_store_id, "file_id": file_id, **row}
                                                  for row in chunk_rows])

    def delete_file(self, vector_store_id: str, file_id: str) -> None:
        with self._db.transaction() as conn:
            self._delete_file(conn, vector_store_id, file_id)

    @staticmethod
    def _delete_file(conn, vector_store_id: str, file_id: str) -> None:
        for table in (documents, chunks):
            conn.execute(delete(table).where(table.c.vector_store_id == vector_store_id, table.c.file_id == file_id))

    def delete_store(self, vector_store_id: str) -> None:
        with self._db.transaction() as conn:
            for table in (documents, chunks):
                conn.execute(delete(table).where(table.c.vector_store_id == vector_store_id))

    def document(self, vector_store_id: str, file_id: str) -> StoredDocument | None:
        query = select(documents).where(documents.c.vector_store_id == vector_store_id,
                                        documents.c.file_id == file_id)
        with self._db.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else StoredDocument(row.file_id, row.tokens, row.text, json.loads(row.page_starts))

    def indexed_files(self, vector_store_id: str, file_ids: list[str]) -> list[str]:
        """Which of these files the store already holds a document for."""
        query = select(documents.c.file_id).where(documents.c.vector_store_id == vector_store_id,
                                                  documents.c.file_id.in_(file_ids))
        with self._db.connect() as conn:
            return list(conn.execute(query).scalars())

    def token_counts(self, vector_store_id: str) -> dict[str, int]:
        query = select(documents.c.file_id, documents.c.tokens).where(documents.c.vector_store_id == vector_store_id)
        with self._db.connect() as conn:
            return {row.file_id: row.tokens for row in conn.execute(query)}

    def chunk_counts(self, vector_store_id: str) -> dict[str, int]:
        """How many chunks each file of a store was cut into."""
        query = select(chunks.c.file_id, func.count()).where(chunks.c.vector_store_id == vector_store_id).group_by(
            chunks.c.file_id)
        with self._db.connect() as conn:
            return {file_id: count for file_id, count in conn.execute(query)}

    def chunk_terms(self, vector_store_id: str) -> list[tuple[str, list[str]]]:
        """(chunk key, index terms) of every chunk of a store: what its keyword index is built from."""
        query = select(chunks.c.file_id, chunks.c.chunk_index, chunks.c.terms).where(
            chunks.c.vector_store_id == vector_store_id)
        with self._db.connect() as conn:
            return [(chunk_key(r.file_id, r.chunk_index), r.terms.split()) for r in conn.execute(query)]

    def chunks(self, vector_store_id: str, keys: Iterable[str]) -> dict[str, StoredChunk]:
        wanted = set(keys)
        if not wanted:
            return {}
        # By file (what the index covers), then the chunks asked for among them.
        query = select(chunks.c.file_id, chunks.c.chunk_index, chunks.c.text, chunks.c.page).where(
            chunks.c.vector_store_id == vector_store_id,
            chunks.c.file_id.in_({key.rpartition(":")[0] for key in wanted}))
        with self._db.connect() as conn:
            found = [StoredChunk(r.file_id, r.chunk_index, r.text, r.page) for r in conn.execute(query)]
        return {chunk.key: chunk for chunk in found if chunk.key in wanted}

    # -- tool calls ----------------------------------------------------------------------------
    def save_call(self, call_id: str, run_id: str, data: dict) -> None:
        with self._db.transaction() as conn:
            conn.execute(delete(calls).where(calls.c.id == call_id))
            conn.execute(insert(calls), {"id": call_id, "run_id": run_id, "data": json.dumps(data)})

    def call(self, call_id: str) -> dict | None:
        with self._db.connect() as conn:
            data = conn.execute(select(calls.c.data).where(calls.c.id == call_id)).scalar()
        return None if data is None else json.loads(data)

    def calls_of_run(self, run_id: str) -> list[dict]:
        query = select(calls.c.data).where(calls.c.run_id == run_id).order_by(calls.c.seq)
        with self._db.connect() as conn:
            return [json.loads(d) for d in conn.execute(query).scalars()]
