"""Request bodies checked against OpenAI's own OpenAPI schemas, with OpenAI's error messages.

The schemas are vendored from the official spec by `scripts/vendor_openapi_schemas.py`.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.exceptions import ValidationError

from emulator.api import spec_fixes
from emulator.errors import InvalidRequest

_SCHEMAS_FILE = Path(__file__).with_name("openapi_requests.json")
_JSON_TYPES = {"string": "a string", "number": "a decimal", "integer": "an integer", "boolean": "a boolean",
               "object": "an object", "array": "an array", "null": "null"}


# JSON Schema counts 5.0 as an integer; OpenAI does not, and neither can the handlers (a float limit
# breaks slicing and SQL). Booleans are not integers either (jsonschema agrees).
_TYPES = Draft202012Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
_Validator = validators.extend(Draft202012Validator, type_checker=_TYPES)
# Formats are only annotations unless a checker is given; `uri` (image_url.url) is the one the request
# schemas use. An absolute URI: a scheme, then something, and no whitespace or control characters.
_FORMATS = FormatChecker(formats=())
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\x00-\x20\x7f]+")


@_FORMATS.checks("uri")
def _is_uri(value: Any) -> bool:
    return not isinstance(value, str) or _URI.fullmatch(value) is not None


@functools.cache
def _document() -> dict[str, Any]:
    return spec_fixes.apply(json.loads(_SCHEMAS_FILE.read_text()))


@functools.cache
def _validator(schema_name: str) -> Draft202012Validator:
    # The root holds `components`, so the spec's `#/components/schemas/...` refs resolve in it.
    return _Validator({**_document(), "$ref": f"#/components/schemas/{schema_name}"}, format_checker=_FORMATS)


def validate_body(body: Any, schema_name: str, *, extra_fields: Iterable[str] = ()) -> dict[str, Any]:
    """Check a parsed JSON body; returns it without top-level nulls (null means "not given")."""
    if not isinstance(body, dict):
        raise InvalidRequest(
            f"Invalid type for request body: expected an object, but got {_type_name(body)} instead.",
            code="invalid_type",
        )
    body = {k: v for k, v in body.items() if v is not None}
    allowed = _properties(schema_name)
    for key in body:
        if key not in allowed and key not in extra_fields:
            raise InvalidRequest(f"Unknown parameter: '{key}'.", param=key, code="unknown_parameter")
    checked = {k: v for k, v in body.items() if k not in extra_fields}
    errors = list(_validator(schema_name).iter_errors(checked))
    if errors:
        raise _to_api_error(_most_specific(max(errors, key=_relevance)))
    if "metadata" in body:
        check_metadata(body["metadata"])
    return body


@functools.cache
def _properties(schema_name: str) -> frozenset[str]:
    """The top-level field names a schema allows, through its `allOf` parts (CreateResponse is three)."""
    schemas = _document()["components"]["schemas"]
    names: set[str] = set()
    todo = [schemas[schema_name]]
    while todo:
        schema = todo.pop()
        if "$ref" in schema:
            todo.append(schemas[schema["$ref"].rsplit("/", 1)[1]])
        names.update(schema.get("properties", {}))
        todo.extend(schema.get("allOf", []))
    return frozenset(names)


def check_metadata(metadata: Any, param: str = "metadata") -> None:
    if not isinstance(metadata, dict):
        return
    if len(metadata) > 16:
        raise InvalidRequest(
            f"Invalid '{param}': too many properties. Expected an object with at most 16 properties, "
            f"but got an object with {len(metadata)} properties instead.",
            param=param, code="object_above_max_properties",
        )
    for key, value in metadata.items():
        if len(key) > 64:
            raise InvalidRequest(
                f"Invalid '{param}': string too long. Expected a string with maximum length 64, "
                f"but got a string with length {len(key)} instead.",
                param=f"{param}.{key}", code="string_above_max_length",
            )
        if isinstance(value, str) and len(value) > 512:
            raise InvalidRequest(
                f"Invalid '{param}.{key}': string too long. Expected a string with maximum length 512, "
                f"but got a string with length {len(value)} instead.",
                param=f"{param}.{key}", code="string_above_max_length",
            )


def _relevance(error: ValidationError):
    # Prefer deep errors (the exact field) and plain errors over composite ones.
    weak = error.validator in ("anyOf", "oneOf", "allOf")
    return (len(error.absolute_path), not weak)


def _most_specific(error: ValidationError) -> ValidationError:
    """Descend through anyOf/oneOf into the branch the value was meant for."""
    while error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        depth = len(error.absolute_path)
        # A branch whose only complaint is the value's JSON type (e.g. the `null` branch) was not meant.
        meant = [errs for errs in branches.values() if not all(_type_only(e, depth) for e in errs)]
        if not meant:
            return _union_type_error(error, depth)
        # For tagged unions, a branch rejecting the `type` tag was not meant either.
        tagged = [errs for errs in meant if not any(_is_tag_error(e, depth) for e in errs)]
        if len(tagged) == 1:
            meant = tagged
        elif meant and not tagged:
            return _tag_error(error, [e for errs in meant for e in errs if _is_tag_error(e, depth)])
        if len(meant) != 1:
            return error
        error = max(meant[0], key=_relevance)
    return error


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    names: dict[type, str] = {str: "string", list: "array", dict: "object"}
    return names.get(type(value), "object")


def _type_only(error: ValidationError, depth: int) -> bool:
    """True when the error only says the value has the wrong JSON type for this branch."""
    if len(error.absolute_path) != depth:
        return False
    if error.validator == "type":
        return True
    if error.validator in ("enum", "const"):
        options = error.validator_value if error.validator == "enum" else [error.validator_value]
        return _json_type(error.instance) not in {_json_type(o) for o in options}
    return False


def _union_type_error(parent: ValidationError, depth: int) -> ValidationError:
    types: list[str] = []
    for e in parent.context:
        if len(e.absolute_path) != depth:
            continue
        if e.validator == "type":
            found = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
        else:
            options = e.validator_value if e.validator == "enum" else [e.validator_value]
            found = [_json_type(o) for o in options]
        types += [t for t in found if t not in types and t != "null"]
    return ValidationError(parent.message, validator="type", validator_value=types, instance=parent.instance,
                           path=list(parent.absolute_path))


def _is_tag_error(error: ValidationError, depth: int) -> bool:
    path = list(error.absolute_path)
    return error.validator in ("enum", "const") and len(path) == depth + 1 and path[-1] == "type"


def _tag_error(parent: ValidationError, tag_errors: list[ValidationError]) -> ValidationError:
    options: list[Any] = []
    for e in tag_errors:
        for option in e.validator_value if e.validator == "enum" else [e.validator_value]:
            if option not in options:
                options.append(option)
    first = tag_errors[0]
    return ValidationError(first.message, validator="enum", validator_value=options, instance=first.instance,
                           path=list(first.absolute_path))


def param_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _to_api_error(error: ValidationError) -> InvalidRequest:
    param = param_path(error.absolute_path) or None
    where = f"'{param}'" if param else "request body"
    kind, limit, value = error.validator, error.validator_value, error.instance
    if kind == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        full = f"{param}.{missing}" if param else missing
        return InvalidRequest(f"Missing required parameter: '{full}'.", param=full, code="missing_required_parameter")
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        full = f"{param}.{extra[0]}" if param and extra else (extra[0] if extra else param)
        return InvalidRequest(f"Unknown parameter: '{full}'.", param=full, code="unknown_parameter")
    if kind == "type":
        types = limit if isinstance(limit, list) else [limit]
        expected = " or ".join(_JSON_TYPES.get(t, str(t)) for t in types if t != "null")
        return InvalidRequest(
            f"Invalid type for {where}: expected {expected}, but got {_type_name(value)} instead.",
            param=param, code="invalid_type",
        )
    if kind in ("enum", "const"):
        options = limit if kind == "enum" else [limit]
        supported = ", ".join(f"'{o}'" for o in options)
        return InvalidRequest(f"Invalid value: '{value}'. Supported values are: {supported}.",
                              param=param, code="invalid_value")
    if kind in ("maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum"):
        number = "integer" if isinstance(value, int) else "decimal"
        above = kind in ("maximum", "exclusiveMaximum")
        relation = "less than or equal to" if above else "greater than or equal to"
        return InvalidRequest(
            f"Invalid {where}: {number} {'above maximum' if above else 'below minimum'} value. "
            f"Expected a value {relation} {limit}, but got {value} instead.",
            param=param, code=f"{number}_{'above_max' if above else 'below_min'}_value",
        )
    if kind in ("maxLength", "minLength", "maxItems", "minItems", "maxProperties", "minProperties"):
        thing = {"L": "string", "I": "array", "P": "object"}[kind[3]]
        size = len(value)
        longer = kind.startswith("max")
        adjective = "too long" if longer else "too short"
        noun = "properties" if thing == "object" else "length"
        return InvalidRequest(
            f"Invalid {where}: {thing} {adjective}. Expected {'an' if thing != 'string' else 'a'} {thing} with "
            f"{'maximum' if longer else 'minimum'} {noun} {limit}, but got {'an' if thing != 'string' else 'a'} "
            f"{thing} with {noun} {size} instead.",
            param=param, code=f"{thing}_{'above_max' if longer else 'below_min'}_length",
        )
    if kind == "format":
        return InvalidRequest(f"Invalid {where}: expected a valid {limit.upper()}, but got '{value}' instead.",
                              param=param, code="invalid_value")
    return InvalidRequest(f"Invalid value for {where}.", param=param, code="invalid_value")
