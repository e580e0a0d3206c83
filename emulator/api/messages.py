"""/v1/threads/{thread_id}/messages"""

from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import ListParams, json_response, list_response, query_params, read_json, services
from emulator.api.routing import ApiRoute


async def create_message(request: Request) -> Response:
    body = await read_json(request, "CreateMessageRequest")
    return json_response(services(request).messages.create(request.path_params["thread_id"], body))


async def list_messages(request: Request) -> Response:
    run_id = query_params(request).get("run_id")
    page = services(request).messages.page(request.path_params["thread_id"], ListParams.parse(request), run_id)
    return list_response(page)


async def retrieve_message(request: Request) -> Response:
    p = request.path_params
    return json_response(services(request).messages.document(p["thread_id"], p["message_id"]))


async def modify_message(request: Request) -> Response:
    body = await read_json(request, "ModifyMessageRequest")
    p = request.path_params
    return json_response(services(request).messages.update(p["thread_id"], p["message_id"], body))


async def delete_message(request: Request) -> Response:
    p = request.path_params
    return json_response(services(request).messages.delete(p["thread_id"], p["message_id"]))


routes = [
    ApiRoute("/threads/{thread_id}/messages", create_message, methods=["POST"]),
    ApiRoute("/threads/{thread_id}/messages", list_messages, methods=["GET"]),
    ApiRoute("/threads/{thread_id}/messages/{message_id}", retrieve_message, methods=["GET"]),
    ApiRoute("/threads/{thread_id}/messages/{message_id}", modify_message, methods=["POST"]),
    ApiRoute("/threads/{thread_id}/messages/{message_id}", delete_message, methods=["DELETE"]),
]
