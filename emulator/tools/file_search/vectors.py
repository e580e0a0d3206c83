"""The dense side of the index: window vectors in Chroma, one collection per vector store.

By default Chroma runs embedded, persisting under `<data_dir>/chroma`; with
`chroma_url` set the emulator talks to a Chroma server instead (for teams that
outgrow one machine). Telemetry is always off. Each record is one window of a
chunk; its metadata names the file and the chunk, so a file's vectors can be
deleted and a chunk's windows fetched.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from urllib.parse import urlparse

import numpy as np

from emulator.settings import Settings


def _collection_name(vector_store_id: str) -> str:
    return f"emulator_{vector_store_id}"


class VectorIndex:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client_lock = threading.Lock()
        self._chroma = None
        self._collections: dict[str, object] = {}

    def _client(self):
        with self._client_lock:
            if self._chroma is None:
                self._chroma = _connect(self._settings)
            return self._chroma

    def _collection(self, vector_store_id: str, *, create: bool):
        collection = self._collections.get(vector_store_id)
        if collection is not None:
            return collection
        client = self._client()
        name = _collection_name(vector_store_id)
        if create:
            collection = client.get_or_create_collection(name, embedding_function=None,
                                                         configuration={"hnsw": {"space": "cosine"}})
        else:
            try:
                collection = client.get_collection(name, embedding_function=None)
            except Exception:  # chromadb raises NotFoundError (or ValueError in older versions)
                return None
        self._collections[vector_store_id] = collection
        return collection

    def add(self, vector_store_id: str, files: list[tuple[str, list[int], np.ndarray]]) -> None:
        """Add files' window vectors: (file id, chunk index of each window, vectors), in few calls."""
        ids, metadatas, blocks = [], [], []
        for file_id, chunk_of_window, vectors in files:
            seen: dict[int, int] = {}
            for chunk in chunk_of_window:
                window = seen[chunk] = seen.get(chunk, -1) + 1
                ids.append(f"{file_id}:{chunk}:{window}")
                metadatas.append({"file_id": file_id, "chunk": f"{file_id}:{chunk}"})
            if len(vectors):
                blocks.append(vectors)
        if not ids:
            return
        embeddings = np.concatenate(blocks)
        collection = self._collection(vector_store_id, create=True)
        step = max(1, self._client().get_max_batch_size())
        for start in range(0, len(ids), step):
            collection.add(ids=ids[start:start + step], embeddings=embeddings[start:start + step],
                           metadatas=metadatas[start:start + step])

    def delete_files(self, vector_store_id: str, file_ids: list[str]) -> None:
        collection = self._collection(vector_store_id, create=False)
        if collection is not None and file_ids:
            collection.delete(where={"file_id": {"$in": list(file_ids)}})

    def delete_store(self, vector_store_id: str) -> None:
        self._collections.pop(vector_store_id, None)
        try:
            self._client().delete_collection(_collection_name(vector_store_id))
        except Exception:  # never created: the store had no indexed file
            pass

    def nearest_chunks(self, vector_store_id: str, query: np.ndarray, windows: int,
                       file_ids: Iterable[str] | None = None) -> tuple[dict[str, float], float | None]:
        """Chunk key -> cosine similarity of its best window, over the `windows` nearest windows; and the
        similarity of the farthest of those (None when there were no more windows to return)."""
        collection = self._collection(vector_store_id, create=False)
        if collection is None:
            return {}, None
        where = None
        if file_ids is not None:
            file_ids = list(file_ids)
            if not file_ids:
                return {}, None
            where = {"file_id": {"$in": file_ids}}
        found = collection.query(query_embeddings=query[None, :], n_results=windows, where=where,
                                 include=["distances", "metadatas"])
        best: dict[str, float] = {}
        similarities = [1.0 - float(d) for d in found["distances"][0]]  # Chroma's cosine distance
        for similarity, meta in zip(similarities, found["metadatas"][0]):
            if similarity > best.get(meta["chunk"], -2.0):
                best[meta["chunk"]] = similarity
        floor = min(similarities) if len(similarities) >= windows else None
        return best, floor

    def chunk_similarities(self, vector_store_id: str, query: np.ndarray, chunk_keys: list[str]) -> dict[str, float]:
        """Cosine similarity of the query to each named chunk (its best window), read from the stored vectors."""
        collection = self._collection(vector_store_id, create=False)
        if collection is None or not chunk_keys:
            return {}
        found = collection.get(where={"chunk": {"$in": chunk_keys}}, include=["embeddings", "metadatas"])
        vectors = np.asarray(found["embeddings"], dtype=np.float32)
        if not len(vectors):
            return {}
        similarities = vectors @ query
        best: dict[str, float] = {}
        for similarity, meta in zip(similarities, found["metadatas"]):
            best[meta["chunk"]] = max(float(similarity), best.get(meta["chunk"], -2.0))
        return best


def _connect(settings: Settings):
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        ssl = url.scheme == "https"
        return chromadb.HttpClient(host=url.hostname or "localhost", port=url.port or (443 if ssl else 8000),
                                   ssl=ssl, settings=chroma_settings)
    path = settings.data_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=chroma_settings)
