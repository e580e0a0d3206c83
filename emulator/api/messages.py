"""/v1/threads/{thread_id}/messages"""

from starlette.routing import Route

from emulator.api.http import ListParams, json_response, list_response, read_json, services


async def create_message(request):
    body = await read_json(request, "CreateMessageRequest")
    return json_response(services(request).messages.create(request.path_params["thread_id"], body))


async def list_messages(request):
    run_id = request.query_params.get("run_id")
    page = services(request).messages.page(request.path_params["thread_id"], ListParams.parse(request), run_id)
    return list_response(page)


async def retrieve_message(request):
    p = request.path_params
    return json_response(services(request).messages.document(p["thread_id"], p["message_id"]))


async def modify_message(request):
    body = await read_json(request, "ModifyMessageRequest")
    p = request.path_params
    return json_response(services(request).messages.update(p["thread_id"], p["message_id"], body))


async def delete_message(request):
    p = request.path_params
    return json_response(services(request).messages.delete(p["thread_id"], p["message_id"]))


routes = [
    Route("/threads/{thread_id}/messages", create_message, methods=["POST"]),
    Route("/threads/{thread_id}/messages", list_messages, methods=["GET"]),
    Route("/threads/{thread_id}/messages/{message_id}", retrieve_message, methods=["GET"]),
    Route("/threads/{thread_id}/messages/{message_id}", modify_message, methods=["POST"]),
    Route("/threads/{thread_id}/messages/{message_id}", delete_message, methods=["DELETE"]),
]
