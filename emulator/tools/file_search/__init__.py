"""file_search: vector stores' files parsed, chunked, embedded locally into Chroma, searched hybrid, cited.

Modules: `parsing` (bytes to text), `chunking` (tiktoken chunks), `embedding`
(local or litellm embeddings, windows over long chunks), `vectors` (Chroma),
`keyword` (BM25), `index` (ingest and hybrid search), `ingestion` (the
background worker), `tool` (the hosted tool), `citations` (markers and
annotations), `filters` (attribute filters), `records` (its own tables).
`FileSearch` here is the index and lock the tool and the vector store services share;
the assembly makes one per server from the settings, stores and clock.

May import: the store, the model seam's litellm import (litellm embeddings) and the
bottom modules. The vector store services import it, never the other way round.
"""

from __future__ import annotations

import threading

from emulator.ids import Clock
from emulator.objects import revise
from emulator.settings import Settings
from emulator.store import Stores
from emulator.tools.file_search.index import FileSearchIndex
from emulator.tools.file_search.tool import FileSearchTool

__all__ = ["FileSearch", "FileSearchIndex", "FileSearchTool"]

_DAY_S = 86_400


class FileSearch:
    """What the vector store services and the tool share in one server (built by the assembly)."""

    def __init__(self, settings: Settings, stores: Stores, clock: Clock) -> None:
        self._vector_stores = stores.vector_stores
        self._clock = clock
        self.index = FileSearchIndex(settings, stores.db)
        self.lock = threading.RLock()
        """Orders every read-modify-write of vector store, file and batch objects (worker thread included)."""

    def touch(self, vector_store_id: str) -> None:
        """Mark a store used now (`last_active_at`), which pushes its expiry back."""
        stores = self._vector_stores
        with self.lock:
            store = stores.get(vector_store_id)
            now = self._clock.now()
            if store is None or store.last_active_at == now:
                return
            fields: dict = {"last_active_at": now}
            if store.expires_after is not None:
                fields["expires_at"] = now + store.expires_after.days * _DAY_S
            stores.save(revise(store, **fields))

    def result_texts(self, call_id: str) -> list[str]:
        """The chunk texts a file_search call returned, in its results' order."""
        record = self.index.records.call(call_id)
        return [r["text"] for r in record["results"]] if record else []
