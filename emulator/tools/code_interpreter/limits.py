"""Sizes as Docker writes them (`1g`, `512m`, `64k`, `1073741824`), to bytes and back to words."""

from __future__ import annotations

import re

_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*", re.IGNORECASE)


def parse_size(text: str | int) -> int:
    """Bytes in a Docker size: a number with an optional unit (b, k, m, g, t; powers of 1024)."""
    if isinstance(text, int):
        return text
    match = _SIZE.fullmatch(text)
    if match is None:
        raise ValueError(f"not a size: {text!r} (write e.g. 512m or 1g)")
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def describe_size(size: int) -> str:
    """`1 GiB`, `64 MiB`, `1.5 KiB`, `12 bytes`."""
    for unit, name in ((1024**4, "TiB"), (1024**3, "GiB"), (1024**2, "MiB"), (1024, "KiB")):
        if size >= unit:
            value = size / unit
            return f"{value:.0f} {name}" if value == int(value) else f"{value:.1f} {name}"
    return f"{size} bytes"
