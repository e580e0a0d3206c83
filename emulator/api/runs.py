"""/v1/threads/{thread_id}/runs and their steps"""

from starlette.routing import Route

from emulator.api.http import ListParams, json_response, list_response, read_json, services
from emulator.api.streaming import sse_response
from emulator.errors import InvalidRequest
from emulator.services.runs import STEP_INCLUDES


def run_response(request, run, queue):
    """The run as JSON, or its event stream when the request asked for `stream`."""
    if queue is not None:
        return sse_response(request.app.state.runtime.hub, run.id, queue)
    return json_response(run, headers=_poll_headers(request))


def _poll_headers(request) -> dict[str, str]:
    return {"openai-poll-after-ms": str(request.app.state.runtime.settings.poll_after_ms)}


async def create_run(request):
    body = await read_json(request, "CreateRunRequest", extra_fields=("include",))
    _check_include(request.query_params.getlist("include[]"))
    run, queue = services(request).runs.create(request.path_params["thread_id"], body)
    return run_response(request, run, queue)


async def list_runs(request):
    return list_response(services(request).runs.page(request.path_params["thread_id"], ListParams.parse(request)))


async def retrieve_run(request):
    p, runs = request.path_params, services(request).runs
    run = runs.get(p["thread_id"], p["run_id"])
    if request.app.state.runtime.settings.deterministic:
        # Every read of a moving run waits for it to stop, so no answer depends on timing (a
        # hand-written polling loop included); watching a run mid-flight needs real-time mode.
        run = await runs.settled(run)
    elif request.headers.get("x-stainless-poll-helper") == "true":
        # The SDK's poll helper: answer as soon as the run moves on, rather than after a fixed sleep.
        run = await runs.wait_for_change(run, request.app.state.runtime.settings.poll_wait_ms / 1000)
    return json_response(run, headers=_poll_headers(request))


async def modify_run(request):
    body = await read_json(request, "ModifyRunRequest")
    p = request.path_params
    return json_response(services(request).runs.update(p["thread_id"], p["run_id"], body))


async def cancel_run(request):
    p = request.path_params
    return json_response(services(request).runs.cancel(p["thread_id"], p["run_id"]), headers=_poll_headers(request))


async def submit_tool_outputs(request):
    body = await read_json(request, "SubmitToolOutputsRunRequest")
    p = request.path_params
    run, queue = services(request).runs.submit_tool_outputs(p["thread_id"], p["run_id"], body)
    return run_response(request, run, queue)


def _check_include(values: list[str]) -> None:
    for value in values:
        if value not in STEP_INCLUDES:
            supported = ", ".join(f"'{v}'" for v in STEP_INCLUDES)
            raise InvalidRequest(f"Invalid value: '{value}'. Supported values are: {supported}.",
                                 param="include", code="invalid_value")


async def list_steps(request):
    include = request.query_params.getlist("include[]")
    _check_include(include)
    p = request.path_params
    page = services(request).runs.steps_page(p["thread_id"], p["run_id"], ListParams.parse(request), include)
    return list_response(page)


async def retrieve_step(request):
    include = request.query_params.getlist("include[]")
    _check_include(include)
    p = request.path_params
    return json_response(services(request).runs.get_step(p["thread_id"], p["run_id"], p["step_id"], include))


routes = [
    Route("/threads/{thread_id}/runs", create_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs", list_runs, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}", retrieve_run, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}", modify_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", submit_tool_outputs, methods=["POST"]),
    Route("/threads/{thread_id}/runs/{run_id}/steps", list_steps, methods=["GET"]),
    Route("/threads/{thread_id}/runs/{run_id}/steps/{step_id}", retrieve_step, methods=["GET"]),
]
