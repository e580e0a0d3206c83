"""/v1/responses: create (synchronous, streamed or in the background), retrieve (or stream again), delete,
cancel, input items, input token counts."""

from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import (
    ListParams,
    include_param,
    json_response,
    list_response,
    query_params,
    read_json,
    server,
    services,
)
from emulator.api.routing import ApiRoute
from emulator.api.streaming import sse_response
from emulator.errors import InvalidRequest


async def create_response(request: Request) -> Response:
    body = await read_json(request, "CreateResponse")
    responses = services(request).responses
    created, queue = responses.create(body)
    if queue is not None:
        return sse_response(server(request).runtime.hub, created["id"], queue, done=None)
    if body.get("background"):
        return json_response(created)
    return json_response(await responses.finished(created["id"], frozenset(body.get("include") or [])))


async def retrieve_response(request: Request) -> Response:
    response_id = request.path_params["response_id"]
    query = query_params(request)
    responses = services(request).responses
    if query.get("stream") == "true":
        raw = query.get("starting_after", "-1")
        try:
            starting_after = int(raw)
        except ValueError:
            raise InvalidRequest(f"Invalid type for 'starting_after': expected an integer, but got '{raw}'.",
                                 param="starting_after", code="invalid_type") from None
        past, queue = responses.resume(response_id, starting_after)
        return sse_response(server(request).runtime.hub, response_id, queue, past=past, done=None)
    return json_response(responses.get(response_id, include_param(request)))


async def delete_response(request: Request) -> Response:
    return json_response(services(request).responses.delete(request.path_params["response_id"]))


async def cancel_response(request: Request) -> Response:
    return json_response(await services(request).responses.cancel(request.path_params["response_id"]))


async def list_input_items(request: Request) -> Response:
    params = ListParams.parse(request)
    page = services(request).responses.input_items(request.path_params["response_id"], limit=params.limit,
                                                   order=params.order, after=params.after, include=include_param(request))
    return list_response(page)


async def count_input_tokens(request: Request) -> Response:
    body = await read_json(request, "TokenCountsBody")
    return json_response(services(request).responses.input_tokens(body))


routes = [
    ApiRoute("/responses", create_response, methods=["POST"]),
    ApiRoute("/responses/input_tokens", count_input_tokens, methods=["POST"]),
    ApiRoute("/responses/{response_id}", retrieve_response, methods=["GET"]),
    ApiRoute("/responses/{response_id}", delete_response, methods=["DELETE"]),
    ApiRoute("/responses/{response_id}/cancel", cancel_response, methods=["POST"]),
    ApiRoute("/responses/{response_id}/input_items", list_input_items, methods=["GET"]),
]
