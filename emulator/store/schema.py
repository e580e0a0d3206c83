"""The tables. Each row is one API object: its JSON as the API returns it, plus indexed columns.

`seq` (autoincrement) gives creation order, which is what list ordering and
cursors use: `created_at` has one-second resolution.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, UniqueConstraint

metadata = MetaData()


def _resource(name: str, *columns: str) -> Table:
    return Table(
        name,
        metadata,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("id", String(64), nullable=False, unique=True, index=True),
        Column("created_at", Integer, nullable=False),
        *(Column(col, String(64), index=True) for col in columns),
        Column("data", Text, nullable=False),
    )


assistants = _resource("assistants")
threads = _resource("threads")
messages = _resource("messages", "thread_id", "run_id")
runs = _resource("runs", "thread_id", "status")
run_steps = _resource("run_steps", "thread_id", "run_id")
files = _resource("files", "purpose")
vector_stores = _resource("vector_stores", "status")
vector_store_file_batches = _resource("vector_store_file_batches", "vector_store_id", "status")
responses = _resource("responses", "status")
conversations = _resource("conversations")
# Items of responses (input and output) and of conversations: see emulator.objects.StoredItem.
items = _resource("items", "owner_id", "kind", "item_id")
# A file can be in several vector stores under the same id, so its rows are keyed by (store, file).
vector_store_files = Table(
    "vector_store_files",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, index=True),
    Column("created_at", Integer, nullable=False),
    Column("vector_store_id", String(64), nullable=False, index=True),
    Column("status", String(64), index=True),
    Column("batch_id", String(64), index=True),
    Column("data", Text, nullable=False),
    UniqueConstraint("vector_store_id", "id"),
)
# Containers (the code_interpreter sandbox as an API object) and their files; a container's name and a
# file's path are user text of any length, so their columns are not String(64).
containers = Table(
    "containers",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True, index=True),
    Column("created_at", Integer, nullable=False),
    Column("status", String(64), index=True),
    Column("name", Text),
    Column("data", Text, nullable=False),
)
container_files = Table(
    "container_files",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(64), nullable=False, unique=True, index=True),
    Column("created_at", Integer, nullable=False),
    Column("container_id", String(64), nullable=False, index=True),
    Column("path", Text),
    Column("data", Text, nullable=False),
)
