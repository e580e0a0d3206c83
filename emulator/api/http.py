"""What the route modules share: the typed way to the app's state, request parsing, response writing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response

from emulator.api.json_body import parse_json
from emulator.api.validation import validate_body
from emulator.app_state import AppState, Server
from emulator.errors import InvalidRequest
from emulator.services import Services
from emulator.store import Page


def app_state(request: Request) -> AppState:
    return AppState.of(request.app)


def server(request: Request) -> Server:
    """The running emulator: its runtime, run engine, services and hosted tools."""
    return AppState.of(request.app).started()


def services(request: Request) -> Services:
    """The app's domain services (see `emulator.services.Services`)."""
    return AppState.of(request.app).started().services


async def read_json_body(request: Request) -> Any:
    """The request's JSON body, parsed within bounds (see json_body) but not validated ({} when empty)."""
    return parse_json(await request.body())


async def read_json(request: Request, schema: str, *, extra_fields: tuple[str, ...] = ()) -> dict[str, Any]:
    """The request's JSON body, validated against the named OpenAPI request schema."""
    return validate_body(await read_json_body(request), schema, extra_fields=extra_fields)


_QUERY = "emulator.query_params"  # where query_params keeps its answer in the request's scope


def query_params(request: Request) -> dict[str, str]:
    """The query string's parameters, each name's last value (what `request.query_params.get` gives).

    A plain dict, and no unquoting pass when there is nothing to unquote: Starlette's QueryParams
    costs a read-path request several times as much to build and to read (a name it lacks raises and
    catches a KeyError inside `get`). Parsed once per request (a list reads it twice: its filters and
    `ListParams`)."""
    parsed: dict[str, str] | None = request.scope.get(_QUERY)
    if parsed is None:
        raw = request.scope["query_string"].decode("latin-1")
        if "%" in raw or "+" in raw:
            parsed = dict(parse_qsl(raw, keep_blank_values=True))
        else:
            parsed = {name: value for name, _, value in (pair.partition("=") for pair in raw.split("&") if pair)}
        request.scope[_QUERY] = parsed
    return parsed


def include_param(request: Request) -> frozenset[str]:
    """`include[]` of the query string (Responses and Conversations), checked as a create request's is."""
    values = [v for k, v in request.query_params.multi_items() if k in ("include", "include[]")]
    if values:
        validate_body({"model": "-", "include": values}, "CreateResponse")
    return frozenset(values)


def json_response(obj: BaseModel | dict[str, Any] | str, status_code: int = 200,
                  headers: dict[str, str] | None = None) -> Response:
    if isinstance(obj, BaseModel):
        content = obj.model_dump_json(exclude_unset=True, by_alias=True)  # as stored: see Collection._dump
    elif isinstance(obj, dict):
        content = json.dumps(obj)
    else:
        content = obj
    return Response(content, status_code=status_code, media_type="application/json", headers=headers)


def list_response(page: Page) -> Response:
    """An OpenAI list object, spliced from the stored JSON documents without re-encoding them."""
    first = json.dumps(page.ids[0]) if page.ids else "null"
    last = json.dumps(page.ids[-1]) if page.ids else "null"
    content = (
        '{"object":"list","data":[' + ",".join(page.documents) + "],"
        f'"first_id":{first},"last_id":{last},"has_more":{"true" if page.has_more else "false"}}}'
    )
    return Response(content, media_type="application/json")


@dataclass
class ListParams:
    limit: int
    order: Literal["asc", "desc"]
    after: str | None
    before: str | None

    @classmethod
    def parse(cls, request: Request, *, default_limit: int = 20, max_limit: int = 100) -> "ListParams":
        query = query_params(request)
        raw_limit = query.get("limit")
        limit = default_limit
        if raw_limit is not None:
            try:
                limit = int(raw_limit)
            except ValueError:
                raise InvalidRequest(
                    "Invalid type for 'limit': expected an integer, but got a string instead.",
                    param="limit", code="invalid_type",
                ) from None
            if not 1 <= limit <= max_limit:
                which = "below minimum" if limit < 1 else "above maximum"
                relation = "greater than or equal to 1" if limit < 1 else f"less than or equal to {max_limit}"
                raise InvalidRequest(
                    f"Invalid 'limit': integer {which} value. Expected a value {relation}, but got {limit} instead.",
                    param="limit", code="integer_below_min_value" if limit < 1 else "integer_above_max_value",
                )
        order = query.get("order", "desc")
        if order not in ("asc", "desc"):
            raise InvalidRequest(
                f"Invalid value: '{order}'. Supported values are: 'asc' and 'desc'.", param="order", code="invalid_value"
            )
        return cls(limit, order, query.get("after") or None, query.get("before") or None)  # type: ignore[arg-type]

