"""/v1/assistants"""

from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import ListParams, json_response, list_response, read_json, services
from emulator.api.routing import ApiRoute


async def create_assistant(request: Request) -> Response:
    body = await read_json(request, "CreateAssistantRequest")
    return json_response(services(request).assistants.create(body))


async def list_assistants(request: Request) -> Response:
    return list_response(services(request).assistants.page(ListParams.parse(request)))


async def retrieve_assistant(request: Request) -> Response:
    return json_response(services(request).assistants.get(request.path_params["assistant_id"]))


async def modify_assistant(request: Request) -> Response:
    body = await read_json(request, "ModifyAssistantRequest")
    return json_response(services(request).assistants.update(request.path_params["assistant_id"], body))


async def delete_assistant(request: Request) -> Response:
    return json_response(services(request).assistants.delete(request.path_params["assistant_id"]))


routes = [
    ApiRoute("/assistants", create_assistant, methods=["POST"]),
    ApiRoute("/assistants", list_assistants, methods=["GET"]),
    ApiRoute("/assistants/{assistant_id}", retrieve_assistant, methods=["GET"]),
    ApiRoute("/assistants/{assistant_id}", modify_assistant, methods=["POST"]),
    ApiRoute("/assistants/{assistant_id}", delete_assistant, methods=["DELETE"]),
]
