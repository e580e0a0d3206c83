"""/v1/assistants"""

from starlette.routing import Route

from emulator.api.http import ListParams, json_response, list_response, read_json, services


async def create_assistant(request):
    body = await read_json(request, "CreateAssistantRequest")
    return json_response(services(request).assistants.create(body))


async def list_assistants(request):
    return list_response(services(request).assistants.page(ListParams.parse(request)))


async def retrieve_assistant(request):
    return json_response(services(request).assistants.get(request.path_params["assistant_id"]))


async def modify_assistant(request):
    body = await read_json(request, "ModifyAssistantRequest")
    return json_response(services(request).assistants.update(request.path_params["assistant_id"], body))


async def delete_assistant(request):
    return json_response(services(request).assistants.delete(request.path_params["assistant_id"]))


routes = [
    Route("/assistants", create_assistant, methods=["POST"]),
    Route("/assistants", list_assistants, methods=["GET"]),
    Route("/assistants/{assistant_id}", retrieve_assistant, methods=["GET"]),
    Route("/assistants/{assistant_id}", modify_assistant, methods=["POST"]),
    Route("/assistants/{assistant_id}", delete_assistant, methods=["DELETE"]),
]
