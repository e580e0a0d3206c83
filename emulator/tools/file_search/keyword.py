"""Keyword retrieval: an in-memory BM25 index over the chunks of one vector store.

Terms are lower-cased words, English stop words dropped, Snowball-stemmed, so
"proteins" matches "protein". The index is kept per vector store, filled from
the terms stored with each chunk (so loading it needs no re-tokenizing), and
updated in place as files are added and removed.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

_WORD = re.compile(r"[^\W_]+")
# A short list: BM25's idf already discounts common words; these carry no meaning in a query.
STOP_WORDS = frozenset(
    "a an and are as at be but by for from has have he her his i if in into is it its of on or our she "
    "so such than that the their them then there these they this those to was we were what when where "
    "which while who whom why will with would you your".split()
)


@functools.cache
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def terms(text: str) -> list[str]:
    """The index terms of a text, in order (repeats kept: they are term frequencies)."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if w not in STOP_WORDS]


@dataclass
class _Postings:
    """Documents holding one term: slot -> term frequency, with a numpy copy made on demand."""

    tf: dict[int, int] = field(default_factory=dict)
    arrays: tuple[np.ndarray, np.ndarray] | None = None

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self.arrays is None:
            slots = np.fromiter(self.tf.keys(), dtype=np.int64, count=len(self.tf))
            freqs = np.fromiter(self.tf.values(), dtype=np.float32, count=len(self.tf))
            self.arrays = (slots, freqs)
        return self.arrays


class BM25Index:
    """Okapi BM25 over documents identified by string keys (chunk keys), grouped (by file) for removal."""

    def __init__(self, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self._lock = threading.RLock()
        self._slot_of: dict[str, int] = {}
        self._keys: list[str | None] = []
        self._lengths: list[int] = []
        self._doc_terms: list[Counter | None] = []
        self._free: list[int] = []
        self._postings: dict[str, _Postings] = {}
        self._groups: dict[str, set[str]] = {}
        self._group_of: dict[str, str] = {}
        self._total_length = 0
        self._length_array: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self._slot_of)

    def add(self, key: str, doc_terms: list[str], group: str = "") -> None:
        with self._lock:
            if key in self._slot_of:
                self.remove(key)
            self._groups.setdefault(group, set()).add(key)
            self._group_of[key] = group
            counts = Counter(doc_terms)
            slot = self._free.pop() if self._free else len(self._keys)
            if slot == len(self._keys):
                self._keys.append(None)
                self._lengths.append(0)
                self._doc_terms.append(None)
            self._keys[slot], self._lengths[slot], self._doc_terms[slot] = key, len(doc_terms), counts
            self._slot_of[key] = slot
            self._total_length += len(doc_terms)
            for term, tf in counts.items():
                postings = self._postings.setdefault(term, _Postings())
                postings.tf[slot] = tf
                postings.arrays = None
            self._length_array = None

    def remove_group(self, group: str) -> None:
        with self._lock:
            for key in list(self._groups.get(group, ())):
                self.remove(key)

    def remove(self, key: str) -> None:
        with self._lock:
            slot = self._slot_of.pop(key, None)
            if slot is None:
                return
            group = self._group_of.pop(key, "")
            members = self._groups.get(group)
            if members is not None:
                members.discard(key)
                if not members:
                    del self._groups[group]
            counts = self._doc_terms[slot] or Counter()
            for term in counts:
                postings = self._postings[term]
                del postings.tf[slot]
                postings.arrays = None
                if not postings.tf:
                    del self._postings[term]
            self._total_length -= self._lengths[slot]
            self._keys[slot], self._lengths[slot], self._doc_terms[slot] = None, 0, None
            self._free.append(slot)
            self._length_array = None

    def search(self, query_terms: list[str], limit: int,
               accept: Callable[[str], bool] | None = None) -> list[tuple[str, float]]:
        """The best `limit` documents for the query terms: (key, BM25 score), best first, scores > 0."""
        with self._lock:
            if not self._slot_of or not query_terms:
                return []
            scores = self._scores(query_terms)
            if accept is not None:
                mask = np.array([k is not None and accept(k) for k in self._keys])
                scores = np.where(mask, scores, 0.0)
            candidates = np.flatnonzero(scores > 0)
            if len(candidates) > limit:
                candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
            ordered = candidates[np.argsort(-scores[candidates], kind="stable")]
            return [(self._keys[i], float(scores[i])) for i in ordered]

    def _scores(self, query_terms: list[str]) -> np.ndarray:
        if self._length_array is None:
            self._length_array = np.asarray(self._lengths, dtype=np.float32)
        n_docs = len(self._slot_of)
        average = self._total_length / n_docs if n_docs else 1.0
        norm = self.k1 * (1 - self.b + self.b * self._length_array / max(average, 1e-9))
        scores = np.zeros(len(self._keys), dtype=np.float32)
        for term, weight in Counter(query_terms).items():
            postings = self._postings.get(term)
            if postings is None:
                continue
            slots, tf = postings.as_arrays()
            # BM25's idf, floored at zero as Lucene does (a term in most documents adds nothing).
            idf = math.log(1 + (n_docs - len(slots) + 0.5) / (len(slots) + 0.5))
            scores[slots] += weight * idf * tf * (self.k1 + 1) / (tf + norm[slots])
        return scores
