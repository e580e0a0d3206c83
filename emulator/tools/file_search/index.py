"""The file-search index: files in, ranked chunks out.

Ingestion is two steps so the slow one holds no lock: `prepare` + `embed`
(parse, chunk, cut windows, compute vectors) and then `store` (write chunks to
the database, vectors to Chroma, terms to the keyword index). Search is hybrid:
each chunk's dense score (its best window's cosine similarity) and keyword score
(BM25, divided by the query's best BM25 in that store) are mixed with weights;
the result is a score in [0, 1] that `score_threshold` applies to.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from emulator.settings import Settings
from emulator.store.database import Database
from emulator.tools.file_search.embedding import Embedder, load_embedder
from emulator.tools.file_search.extraction import Limits
from emulator.tools.file_search.extractor import Extractor, Interrupted
from emulator.tools.file_search.keyword import BM25Index, terms
from emulator.tools.file_search.parsing import ParsedText
from emulator.tools.file_search.records import Records, StoredChunk, StoredDocument
from emulator.tools.file_search.vectors import VectorIndex


@dataclass(frozen=True)
class Ranking:
    """How to mix the two scores; (1, 0) is dense-only and (0, 1) keyword-only."""

    embedding_weight: float
    text_weight: float
    score_threshold: float = 0.0


@dataclass
class PreparedFile:
    """A parsed and chunked file, cut into the embedder's windows; with their vectors once embedded."""

    vector_store_id: str
    file_id: str
    parsed: ParsedText
    tokens: int
    chunk_rows: list[dict]
    pieces: list = field(default_factory=list)
    chunk_of_piece: list[int] = field(default_factory=list)
    vectors: np.ndarray | None = None

    @property
    def usage_bytes(self) -> int:
        """What the file takes in the store: its text and its vectors."""
        vector_bytes = 0 if self.vectors is None else int(self.vectors.nbytes)
        return len(self.parsed.text.encode("utf-8")) + vector_bytes


@dataclass(frozen=True)
class SearchHit:
    vector_store_id: str
    chunk: StoredChunk
    score: float


class FileSearchIndex:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self.records = Records(db)
        self.vectors = VectorIndex(settings)
        self._keyword: dict[str, BM25Index] = {}
        self._keyword_lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._embedder_lock = threading.Lock()
        self._extractor = Extractor(settings.file_search_parse_timeout_s, settings.file_search_parse_memory_mb)
        self._limits = Limits(settings.file_search_max_file_chars, settings.file_search_max_chunks_per_file)
        self._closed = False

    def warm(self) -> None:
        """A file is about to be ingested: start what it needs that starts slowly, in the background."""
        self._extractor.warm()

    def close(self) -> None:
        """Stop ingestion work in flight now (server shutdown): a parse is killed, embedding stops between
        slices; both raise `Interrupted`. Search keeps working."""
        self._closed = True
        self._extractor.close()

    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use (seconds: call it off the event loop)."""
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = load_embedder(self._settings)
            return self._embedder

    # -- ingestion ---------------------------------------------------------------------------
    def prepare(self, vector_store_id: str, file_id: str, filename: str, data: bytes,
                strategy: dict) -> PreparedFile:
        """Parse, chunk and cut into windows (raises ParseError for files that cannot be indexed).

        Parsing and chunking run in a child process, bounded by the file_search_parse_* settings."""
        extracted = self._extractor.extract(filename, data, strategy, self._limits)
        prepared = PreparedFile(vector_store_id, file_id, extracted.parsed, extracted.tokens, extracted.chunk_rows)
        embedder = self.embedder()
        for row in extracted.chunk_rows:
            for piece in embedder.split(row["text"]):
                prepared.pieces.append(piece)
                prepared.chunk_of_piece.append(row["chunk_index"])
        return prepared

    def embed(self, files: list[PreparedFile], slice_pieces: int = 64) -> None:
        """Compute the window vectors of several files (batching is what makes it fast).

        In slices of `slice_pieces` windows (well under a second of CPU each), so `close()` is obeyed promptly."""
        everything = [piece for prepared in files for piece in prepared.pieces]
        parts = []
        for first in range(0, len(everything), slice_pieces):
            if self._closed:
                raise Interrupted()
            parts.append(self.embedder().embed(everything[first:first + slice_pieces]))
        vectors = np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.float32)
        offset = 0
        for prepared in files:
            prepared.vectors = vectors[offset:offset + len(prepared.pieces)]
            offset += len(prepared.pieces)

    def store(self, files: list[PreparedFile]) -> None:
        """Make embedded files searchable (replacing what the store held for them)."""
        by_store: dict[str, list[PreparedFile]] = {}
        for prepared in files:
            by_store.setdefault(prepared.vector_store_id, []).append(prepared)
        for vector_store_id, group in by_store.items():
            replaced = self.records.indexed_files(vector_store_id, [p.file_id for p in group])
            if replaced:
                self.vectors.delete_files(vector_store_id, replaced)
            rows = [(p.file_id, StoredDocument(p.file_id, p.tokens, p.parsed.text, p.parsed.page_starts),
                     p.chunk_rows) for p in group]
            self.records.save_files(vector_store_id, rows)
            embedded: list[tuple[str, list[int], np.ndarray]] = []
            for p in group:
                assert p.vectors is not None  # `embed` ran before `store`
                embedded.append((p.file_id, p.chunk_of_piece, p.vectors))
            self.vectors.add(vector_store_id, embedded)
            with self._keyword_lock:
                keyword = self._keyword.get(vector_store_id)
                if keyword is not None:  # not loaded yet: it will read these chunks from the database
                    for file_id, _document, chunk_rows in rows:
                        keyword.remove_group(file_id)
                        for row in chunk_rows:
                            keyword.add(f"{file_id}:{row['chunk_index']}", row["terms"].split(), file_id)

    def remove_file(self, vector_store_id: str, file_id: str) -> None:
        self.records.delete_file(vector_store_id, file_id)
        self.vectors.delete_files(vector_store_id, [file_id])
        with self._keyword_lock:
            keyword = self._keyword.get(vector_store_id)
            if keyword is not None:
                keyword.remove_group(file_id)

    def remove_store(self, vector_store_id: str) -> None:
        self.records.delete_store(vector_store_id)
        self.vectors.delete_store(vector_store_id)
        with self._keyword_lock:
            self._keyword.pop(vector_store_id, None)

    # -- search --------------------------------------------------------------------------------
    def _keyword_index(self, vector_store_id: str) -> BM25Index:
        with self._keyword_lock:
            index = self._keyword.get(vector_store_id)
            if index is None:
                index = BM25Index()
                for key, chunk_terms in self.records.chunk_terms(vector_store_id):
                    index.add(key, chunk_terms, key.rpartition(":")[0])
                self._keyword[vector_store_id] = index
            return index

    def search(self, stores: Iterable[str], queries: list[str], limit: int, ranking: Ranking,
               allowed_files: Callable[[str], set[str] | None] = lambda _store: None) -> list[SearchHit]:
        """The best `limit` chunks for any of the queries across the stores, best first.

        `allowed_files(store)` restricts a store to some files (None: all of them).
        """
        dense = ranking.embedding_weight > 0
        query_vectors = self.embedder().embed_queries(queries) if dense and queries else None
        best: dict[tuple[str, str], float] = {}
        for store in stores:
            allowed = allowed_files(store)
            for number, query in enumerate(queries):
                vector = query_vectors[number] if query_vectors is not None else None
                for key, score in self._rank(store, query, vector, limit, ranking, allowed).items():
                    best[(store, key)] = max(score, best.get((store, key), -1.0))
        ranked = sorted(((s, k) for k, s in best.items() if s >= ranking.score_threshold),
                        key=lambda item: -item[0])[:limit]
        hits: list[SearchHit] = []
        for store in {k[0] for _s, k in ranked}:
            chunks = self.records.chunks(store, [k[1] for _s, k in ranked if k[0] == store])
            hits.extend(SearchHit(store, chunks[k[1]], s) for s, k in ranked if k[0] == store and k[1] in chunks)
        return sorted(hits, key=lambda h: -h.score)

    def _rank(self, store: str, query: str, vector: np.ndarray | None, limit: int, ranking: Ranking,
              allowed: set[str] | None) -> dict[str, float]:
        """The best `limit` chunks for one query in one store: chunk key -> hybrid score in [0, 1]."""
        pool = max(4 * limit, 50)
        dense: dict[str, float] = {}
        floor: float | None = None
        if vector is not None:
            dense, floor = self.vectors.nearest_chunks(store, vector, pool, allowed)
        keyword: dict[str, float] = {}
        if ranking.text_weight > 0:
            accept = None if allowed is None else (lambda key: key.rpartition(":")[0] in allowed)
            keyword = dict(self._keyword_index(store).search(terms(query), pool, accept))
        top_keyword = max(keyword.values(), default=0.0) or 1.0
        total = ranking.embedding_weight + ranking.text_weight

        def mix(similarity: float, bm25: float) -> float:
            return (ranking.embedding_weight * min(1.0, max(0.0, similarity))
                    + ranking.text_weight * bm25 / top_keyword) / total

        scores = {key: mix(similarity, keyword.get(key, 0.0)) for key, similarity in dense.items()}
        missing = [key for key in keyword if key not in dense]
        if missing and floor is not None:
            # A keyword match the dense search did not return is no closer to the query than the farthest
            # window it did return (`floor`): fetch the true similarity only where that could matter.
            assert vector is not None  # `floor` comes from the dense search, which needs the vector
            cutoff = sorted(scores.values(), reverse=True)[limit - 1] if len(scores) >= limit else -1.0
            dense.update(self.vectors.chunk_similarities(
                store, vector, [key for key in missing if mix(floor, keyword[key]) > cutoff]))
        for key in missing:
            scores[key] = mix(dense.get(key, 0.0), keyword[key])
        return dict(sorted(scores.items(), key=lambda item: -item[1])[:limit])

    # -- documents -------------------------------------------------------------------------------
    def document(self, vector_store_id: str, file_id: str) -> StoredDocument | None:
        return self.records.document(vector_store_id, file_id)

    def token_counts(self, vector_store_id: str) -> dict[str, int]:
        return self.records.token_counts(vector_store_id)

    def chunk_counts(self, vector_store_id: str) -> dict[str, int]:
        return self.records.chunk_counts(vector_store_id)
