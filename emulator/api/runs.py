"""/v1/threads/{thread_id}/runs and their steps"""

import asyncio

from openai.types.beta.threads import Run
from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import ListParams, json_response, list_response, read_json, server, services
from emulator.api.routing import ApiRoute
from emulator.api.streaming import sse_response
from emulator.engine.events import Event
from emulator.errors import InvalidRequest
from emulator.services.runs import STEP_INCLUDES


def run_response(request: Request, run: Run, queue: asyncio.Queue[Event] | None) -> Response:
    """The run as JSON, or its event stream when the request asked for `stream`."""
    if queue is not None:
        return sse_response(server(request).runtime.hub, run.id, queue)
    return json_response(run, headers=_poll_headers(request))


def _poll_headers(request: Request) -> dict[str, str]:
    return {"openai-poll-after-ms": str(server(request).runtime.settings.poll_after_ms)}


async def create_run(request: Request) -> Response:
    body = await read_json(request, "CreateRunRequest", extra_fields=("include",))
    _check_include(request.query_params.getlist("include[]"))
    run, queue = services(request).runs.create(request.path_params["thread_id"], body)
    return run_response(request, run, queue)


async def list_runs(request: Request) -> Response:
    return list_response(services(request).runs.page(request.path_params["thread_id"], ListParams.parse(request)))


async def retrieve_run(request: Request) -> Response:
    p, runs = request.path_params, services(request).runs
    run = runs.get(p["thread_id"], p["run_id"])
    settings = server(request).runtime.settings
    if settings.deterministic:
        # Every read of a moving run waits for it to stop, so no answer depends on timing (a
        # hand-written polling loop included); watching a run mid-flight needs real-time mode.
        run = await runs.settled(run)
    elif request.headers.get("x-stainless-poll-helper") == "true":
        # The SDK's poll helper: answer as soon as the run moves on, rather than after a fixed sleep.
        run = await runs.wait_for_change(run, settings.poll_wait_ms / 1000)
    return json_response(run, headers=_poll_headers(request))


async def modify_run(request: Request) -> Response:
    body = await read_json(request, "ModifyRunRequest")
    p = request.path_params
    return json_response(services(request).runs.update(p["thread_id"], p["run_id"], body))


async def cancel_run(request: Request) -> Response:
    p = request.path_params
    return json_response(services(request).runs.cancel(p["thread_id"], p["run_id"]), headers=_poll_headers(request))


async def submit_tool_outputs(request: Request) -> Response:
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


async def list_steps(request: Request) -> Response:
    include = request.query_params.getlist("include[]")
    _check_include(include)
    p = request.path_params
    page = services(request).runs.steps_page(p["thread_id"], p["run_id"], ListParams.parse(request), include)
    return list_response(page)


async def retrieve_step(request: Request) -> Response:
    include = request.query_params.getlist("include[]")
    _check_include(include)
    p = request.path_params
    return json_response(services(request).runs.get_step(p["thread_id"], p["run_id"], p["step_id"], include))


routes = [
    ApiRoute("/threads/{thread_id}/runs", create_run, methods=["POST"]),
    ApiRoute("/threads/{thread_id}/runs", list_runs, methods=["GET"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}", retrieve_run, methods=["GET"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}", modify_run, methods=["POST"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}/cancel", cancel_run, methods=["POST"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}/submit_tool_outputs", submit_tool_outputs, methods=["POST"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}/steps", list_steps, methods=["GET"]),
    ApiRoute("/threads/{thread_id}/runs/{run_id}/steps/{step_id}", retrieve_step, methods=["GET"]),
]
