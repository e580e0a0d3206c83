"""/v1/threads and /v1/threads/runs (create thread and run)"""

from starlette.routing import Route

from emulator.api.http import ListParams, json_response, list_response, read_json, services
from emulator.api.runs import run_response


async def create_thread(request):
    body = await read_json(request, "CreateThreadRequest")
    return json_response(services(request).threads.create(body))


async def list_threads(request):
    return list_response(services(request).threads.page(ListParams.parse(request)))


async def retrieve_thread(request):
    return json_response(services(request).threads.get(request.path_params["thread_id"]))


async def modify_thread(request):
    body = await read_json(request, "ModifyThreadRequest")
    return json_response(services(request).threads.update(request.path_params["thread_id"], body))


async def delete_thread(request):
    return json_response(services(request).threads.delete(request.path_params["thread_id"]))


async def create_thread_and_run(request):
    body = await read_json(request, "CreateThreadAndRunRequest")
    run, _thread, queue = services(request).runs.create_thread_and_run(body)
    return run_response(request, run, queue)


routes = [
    Route("/threads", create_thread, methods=["POST"]),
    Route("/threads", list_threads, methods=["GET"]),
    Route("/threads/runs", create_thread_and_run, methods=["POST"]),
    Route("/threads/{thread_id}", retrieve_thread, methods=["GET"]),
    Route("/threads/{thread_id}", modify_thread, methods=["POST"]),
    Route("/threads/{thread_id}", delete_thread, methods=["DELETE"]),
]
