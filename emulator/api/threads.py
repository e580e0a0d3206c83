"""/v1/threads and /v1/threads/runs (create thread and run)"""

from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import ListParams, json_response, list_response, read_json, services
from emulator.api.routing import ApiRoute
from emulator.api.runs import run_response


async def create_thread(request: Request) -> Response:
    body = await read_json(request, "CreateThreadRequest")
    return json_response(services(request).threads.create(body))


async def list_threads(request: Request) -> Response:
    return list_response(services(request).threads.page(ListParams.parse(request)))


async def retrieve_thread(request: Request) -> Response:
    return json_response(services(request).threads.document(request.path_params["thread_id"]))


async def modify_thread(request: Request) -> Response:
    body = await read_json(request, "ModifyThreadRequest")
    return json_response(services(request).threads.update(request.path_params["thread_id"], body))


async def delete_thread(request: Request) -> Response:
    return json_response(services(request).threads.delete(request.path_params["thread_id"]))


async def create_thread_and_run(request: Request) -> Response:
    body = await read_json(request, "CreateThreadAndRunRequest")
    run, _thread, queue = services(request).runs.create_thread_and_run(body)
    return run_response(request, run, queue)


routes = [
    ApiRoute("/threads", create_thread, methods=["POST"]),
    ApiRoute("/threads", list_threads, methods=["GET"]),
    ApiRoute("/threads/runs", create_thread_and_run, methods=["POST"]),
    ApiRoute("/threads/{thread_id}", retrieve_thread, methods=["GET"]),
    ApiRoute("/threads/{thread_id}", modify_thread, methods=["POST"]),
    ApiRoute("/threads/{thread_id}", delete_thread, methods=["DELETE"]),
]
