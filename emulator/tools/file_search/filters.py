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


_COMPARISONS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "nin")


def check_filter(spec: Any, param: str = "filters") -> None:
    """Validate a filter as the spec describes it (the vendored schema's recursive reference does not
    resolve under a JSON Schema 2020-12 validator, so compound filters are checked here)."""
    from emulator.errors import InvalidRequest

    if not isinstance(spec, dict):
        raise InvalidRequest(f"Invalid type for '{param}': expected an object.", param=param, code="invalid_type")
    kind = spec.get("type", "eq")
    if kind in ("and", "or"):
        unknown = set(spec) - {"type", "filters"}
        subfilters = spec.get("filters")
        if unknown or not isinstance(subfilters, list):
            raise InvalidRequest(f"Invalid value for '{param}': a compound filter has 'type' and a list of 'filters'.",
                                 param=param, code="invalid_value")
        for number, sub in enumerate(subfilters):
            check_filter(sub, f"{param}.filters[{number}]")
        return
    if kind not in _COMPARISONS:
        supported = ", ".join(f"'{k}'" for k in (*_COMPARISONS, "and", "or"))
        raise InvalidRequest(f"Invalid value: '{kind}'. Supported values are: {supported}.",
                             param=f"{param}.type", code="invalid_value")
    if set(spec) - {"type", "key", "value"} or not isinstance(spec.get("key"), str) or "value" not in spec:
        raise InvalidRequest(f"Invalid value for '{param}': a comparison filter has 'type', 'key' and 'value'.",
                             param=param, code="invalid_value")
    value = spec["value"]
    scalar = (str, int, float, bool)
    if not (isinstance(value, scalar) or (isinstance(value, list) and all(isinstance(v, scalar) for v in value))):
        raise InvalidRequest(f"Invalid type for '{param}.value': expected a string, number, boolean or array.",
                             param=f"{param}.value", code="invalid_type")
