"""Attribute filters of `vector_stores.search`: OpenAI's comparison and compound filters."""

from __future__ import annotations

from typing import Any

_ORDERED = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}


def matches(spec: dict[str, Any], attributes: dict[str, Any]) -> bool:
    """Whether a file's attributes pass the filter (a file without the key passes only `ne` and `nin`)."""
    kind = spec.get("type", "eq")
    if kind in ("and", "or"):
        results = (matches(sub, attributes) for sub in spec.get("filters", []))
        return all(results) if kind == "and" else any(results)
    key, value = spec["key"], spec["value"]
    if key not in attributes:
        return kind in ("ne", "nin")
    actual = attributes[key]
    if kind == "eq":
        return actual == value
    if kind == "ne":
        return actual != value
    if kind in ("in", "nin"):
        found = actual in (value if isinstance(value, list) else [value])
        return found if kind == "in" else not found
    try:
        return _ORDERED[kind](actual, value)
    except TypeError:  # comparing a string with a number: no match, as a typed store would say
        return False
