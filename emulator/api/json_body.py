"""Parsing a request's JSON body with bounds, so hostile input gets a 400 rather than a crash.

`json.loads` alone accepts things the rest of the server cannot live with: `NaN` and `Infinity`
(not JSON; stored, they come back as `null`), numbers like `1e400` that overflow to infinity,
nesting deep enough to exhaust the interpreter's recursion limit (in the parser itself, or later
in validation and serialisation), and `\\udc80`-style escapes that decode to lone surrogates, which
cannot be encoded back to UTF-8 when the response is written. Each is refused here, before
anything is validated or stored.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from emulator.api.validation import param_path
from emulator.errors import InvalidRequest

MAX_DEPTH = 64
"""Objects and arrays nested deeper than this are refused. The deepest legitimate bodies are function
`parameters` and `json_schema` response formats, where each schema level costs two JSON levels;
OpenAI itself allows only 5-10 schema levels in strict mode."""

BAD_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP "
    "library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have "
    "trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"
)
_TOO_DEEP = (f"The JSON body of your request is nested too deeply: objects and arrays may be nested at most "
             f"{MAX_DEPTH} levels.")
# A lone surrogate can only come from a `\uXXXX` escape: raw surrogate bytes are not valid UTF-8.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # e.g. 1e400
        raise ValueError("number out of range")
    return number


def parse_json(raw: bytes) -> Any:
    """The parsed body ({} when empty); InvalidRequest for anything hostile or malformed."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_not_json, parse_float=_finite)
    except RecursionError:
        raise InvalidRequest(_TOO_DEEP, code="invalid_value") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest(BAD_JSON) from None
    check_bounds(body, surrogates=bool(_SURROGATE_ESCAPE.search(raw)))
    return body


def check_bounds(value: Any, *, surrogates: bool = True) -> None:
    """Refuse nesting deeper than MAX_DEPTH and (when `surrogates`) strings that are not valid Unicode.

    Walks iteratively, so the check itself cannot run out of stack."""
    stack: list[tuple[Any, int, tuple]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        if isinstance(node, dict):
            if depth > MAX_DEPTH:
                raise _too_deep(path)
            for key, child in node.items():
                if surrogates:
                    _check_string(key, path)
                stack.append((child, depth + 1, (*path, key)))
        elif isinstance(node, list):
            if depth > MAX_DEPTH:
                raise _too_deep(path)
            stack.extend((child, depth + 1, (*path, i)) for i, child in enumerate(node))
        elif surrogates and isinstance(node, str):
            _check_string(node, path)


def _too_deep(path: tuple) -> InvalidRequest:
    # The top-level parameter, not the whole path: that would be dozens of levels long.
    return InvalidRequest(_TOO_DEEP, param=str(path[0]) if path else None, code="invalid_value")


def _check_string(text: str, path: tuple) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        param = param_path(path) or None
        where = f"'{param}'" if param else "request body"
        bad = text[exc.start]
        raise InvalidRequest(
            f"Invalid {where}: the string contains a lone surrogate (\\u{ord(bad):04x}), which is not valid "
            f"Unicode. Strings must be valid UTF-8.",
            param=param, code="invalid_value",
        ) from None
