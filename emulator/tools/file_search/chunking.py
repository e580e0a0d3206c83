"""Token-based chunking as OpenAI does it: fixed-size windows of tiktoken tokens with an overlap.

`auto` is 800-token chunks overlapping by 400, and is reported back as that
`static` strategy. Each chunk keeps the character offset where it starts, so a
citation can name the page it came from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator import tokens
from emulator.errors import InvalidRequest

AUTO_MAX_TOKENS = 800
AUTO_OVERLAP_TOKENS = 400


@dataclass(frozen=True)
class Chunk:
    index: int
    text: str
    start: int
    """Character offset of the chunk's first character in the document's text."""
    tokens: int


def resolve_strategy(requested: dict[str, Any] | None) -> dict[str, Any]:
    """The strategy as the API reports it (`auto` becomes its static equivalent), after OpenAI's checks."""
    if not requested or requested.get("type") == "auto":
        return {"type": "static", "static": {"max_chunk_size_tokens": AUTO_MAX_TOKENS,
                                             "chunk_overlap_tokens": AUTO_OVERLAP_TOKENS}}
    static = requested["static"]
    size, overlap = static["max_chunk_size_tokens"], static["chunk_overlap_tokens"]
    if not 100 <= size <= 4096:
        which = "below minimum" if size < 100 else "above maximum"
        raise InvalidRequest(
            f"Invalid 'chunking_strategy.static.max_chunk_size_tokens': integer {which} value. Expected a value "
            f"{'greater than or equal to 100' if size < 100 else 'less than or equal to 4096'}, but got {size} "
            "instead.", param="chunking_strategy.static.max_chunk_size_tokens",
            code="integer_below_min_value" if size < 100 else "integer_above_max_value")
    if overlap < 0:
        raise InvalidRequest(
            "Invalid 'chunking_strategy.static.chunk_overlap_tokens': integer below minimum value. Expected a "
            f"value greater than or equal to 0, but got {overlap} instead.",
            param="chunking_strategy.static.chunk_overlap_tokens", code="integer_below_min_value")
    if overlap > size // 2:
        raise InvalidRequest(
            "Invalid 'chunking_strategy.static.chunk_overlap_tokens': chunk_overlap_tokens must be less than or "
            f"equal to half of max_chunk_size_tokens ({size // 2}), but got {overlap} instead.",
            param="chunking_strategy.static.chunk_overlap_tokens", code="invalid_value")
    return {"type": "static", "static": {"max_chunk_size_tokens": size, "chunk_overlap_tokens": overlap}}


def chunk_text(text: str, max_tokens: int, overlap: int) -> list[Chunk]:
    """Cut `text` into chunks of at most `max_tokens` tokens, each starting `max_tokens - overlap` later."""
    encoding = tokens.encoding()
    ids = encoding.encode(text, disallowed_special=())
    if not ids:
        return []
    raw = text.encode("utf-8")
    # Byte offset where each token starts; a token can end inside a multi-byte character.
    bounds = [0]
    for piece in encoding.decode_tokens_bytes(ids):
        bounds.append(bounds[-1] + len(piece))
    step = max(1, max_tokens - overlap)
    chunks: list[Chunk] = []
    char_at, byte_at = 0, 0  # running conversion from byte to character offsets
    start = 0
    while True:
        end = min(start + max_tokens, len(ids))
        first, last = _char_boundary(raw, bounds[start]), _char_boundary(raw, bounds[end])
        char_at += len(raw[byte_at:first].decode("utf-8"))
        byte_at = first
        body = raw[first:last].decode("utf-8")
        if body.strip():
            chunks.append(Chunk(len(chunks), body, char_at, end - start))
        if end >= len(ids):
            return chunks
        start += step


def _char_boundary(raw: bytes, offset: int) -> int:
    """`offset`, moved forward past UTF-8 continuation bytes to the next character boundary."""
    while offset < len(raw) and (raw[offset] & 0xC0) == 0x80:
        offset += 1
    return offset
