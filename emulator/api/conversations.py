"""/v1/conversations and their items."""

from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import (
    ListParams,
    include_param,
    json_response,
    list_response,
    read_json,
    read_json_body,
    services,
)
from emulator.api.routing import ApiRoute
from emulator.api.validation import validate_body
from emulator.errors import InvalidRequest


async def create_conversation(request: Request) -> Response:
    body = await read_json(request, "CreateConversationBody")
    return json_response(services(request).conversations.create(body))


async def retrieve_conversation(request: Request) -> Response:
    return json_response(services(request).conversations.get(request.path_params["conversation_id"]))


async def update_conversation(request: Request) -> Response:
    body = await read_json(request, "UpdateConversationBody")
    return json_response(services(request).conversations.update(request.path_params["conversation_id"], body))


async def delete_conversation(request: Request) -> Response:
    return json_response(services(request).conversations.delete(request.path_params["conversation_id"]))


async def create_items(request: Request) -> Response:
    body = await read_json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise InvalidRequest("Missing required parameter: 'items'.", param="items", code="missing_required_parameter")
    for number, item in enumerate(body["items"]):
        try:
            validate_body({"model": "-", "input": [item]}, "CreateResponse")
        except InvalidRequest as exc:
            exc.param = f"items[{number}]"
            raise
    result = services(request).conversations.add_items(request.path_params["conversation_id"], body["items"],
                                                       include_param(request))
    return json_response(result)


async def list_items(request: Request) -> Response:
    params = ListParams.parse(request)
    page = services(request).conversations.page_items(request.path_params["conversation_id"], limit=params.limit,
                                                      order=params.order, after=params.after,
                                                      include=include_param(request))
    return list_response(page)


async def retrieve_item(request: Request) -> Response:
    path = request.path_params
    return json_response(services(request).conversations.item(path["conversation_id"], path["item_id"],
                                                               include_param(request)))


async def delete_item(request: Request) -> Response:
    path = request.path_params
    return json_response(services(request).conversations.delete_item(path["conversation_id"], path["item_id"]))


routes = [
    ApiRoute("/conversations", create_conversation, methods=["POST"]),
    ApiRoute("/conversations/{conversation_id}", retrieve_conversation, methods=["GET"]),
    ApiRoute("/conversations/{conversation_id}", update_conversation, methods=["POST"]),
    ApiRoute("/conversations/{conversation_id}", delete_conversation, methods=["DELETE"]),
    ApiRoute("/conversations/{conversation_id}/items", create_items, methods=["POST"]),
    ApiRoute("/conversations/{conversation_id}/items", list_items, methods=["GET"]),
    ApiRoute("/conversations/{conversation_id}/items/{item_id}", retrieve_item, methods=["GET"]),
    ApiRoute("/conversations/{conversation_id}/items/{item_id}", delete_item, methods=["DELETE"]),
]
