"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use; litellm ships copies of them, so
point tiktoken's cache there (unless the user chose a cache dir).
"""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import Any

# Per-message overhead of the chat format (role and separators), as OpenAI counts it.
_MESSAGE_OVERHEAD_TOKENS = 4


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


def count_chat(messages: list[dict[str, Any]]) -> int:
    """Tokens of chat messages as the model reads them: their text, tool calls and each message's overhead."""
    total = 0
    for message in messages:
        total += _MESSAGE_OVERHEAD_TOKENS
        content = message.get("content")
        if isinstance(content, str):
            total += count(content)
        elif isinstance(content, list):
            total += sum(count(p.get("text", "")) for p in content if p.get("type") == "text")
        for call in message.get("tool_calls") or []:
            total += count(call["function"]["name"]) + count(call["function"]["arguments"])
    return total
