"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use; litellm ships copies of them, so
point tiktoken's cache there (unless the user chose a cache dir).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path


def _use_bundled_bpe_files() -> None:
    if os.environ.get("TIKTOKEN_CACHE_DIR"):
        return
    spec = importlib.util.find_spec("litellm")
    if spec and spec.origin:
        bundled = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
        if bundled.is_dir():
            os.environ["TIKTOKEN_CACHE_DIR"] = str(bundled)


@functools.cache
def encoding():
    _use_bundled_bpe_files()
    import tiktoken

    return tiktoken.get_encoding("o200k_base")


def count(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=())) if text else 0


def truncate(text: str, max_tokens: int) -> str:
    tokens = encoding().encode(text, disallowed_special=())
    return text if len(tokens) <= max_tokens else encoding().decode(tokens[:max_tokens])
