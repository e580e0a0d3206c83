"""/_emulator: controls for tests, outside the OpenAI API (`/v1`).

`GET /_emulator/clock` reads the clock; `POST /_emulator/clock {"advance_s": N}` moves a
deterministic clock forward and expires at once the runs whose deadline it passed, so a
test decides exactly when a run waiting for tool outputs expires.

`POST /_emulator/reset {...}` (only with `test_controls` on: it deletes everything) stops
all runs, empties the store and starts again with the server's settings changed by the
body (cassette, determinism, model map, scripts dir): the pytest plugin gives each test a
blank emulator this way without paying for a new process.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.routing import Route

from emulator.api.http import json_response
from emulator.api.json_body import parse_json
from emulator.assembly import restart_runtime
from emulator.errors import InvalidRequest
from emulator.recording.cassette import CassetteError, check_cassette_settings
from emulator.settings import Settings

RESETTABLE = ("record", "replay", "replay_repeats", "replay_tool_outputs", "deterministic", "seed", "clock_start",
              "model_map", "scripts_dir")


def _clock(request):
    return request.app.state.runtime.clock


def _state(request) -> dict:
    clock = _clock(request)
    return {"object": "emulator.clock", "now": clock.now(), "controllable": clock.controllable}


async def read_clock(request):
    return json_response(_state(request))


async def _json_object(request) -> dict:
    try:
        body = parse_json(await request.body())
    except InvalidRequest:
        body = None
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object.")
    return body


async def advance_clock(request):
    seconds = (await _json_object(request)).get("advance_s")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        raise InvalidRequest("'advance_s' must be a non-negative integer.", param="advance_s")
    if not _clock(request).controllable:
        raise InvalidRequest("The clock follows real time; it can be moved only in deterministic mode "
                             "(--deterministic or EMULATOR_DETERMINISTIC=1).")
    _clock(request).advance(seconds)
    request.app.state.engine.expire_overdue()
    return json_response(_state(request))


async def reset(request):
    base: Settings = request.app.state.base_settings
    if not base.test_controls:
        raise InvalidRequest("Test controls are off: start the server with EMULATOR_TEST_CONTROLS=1 to allow "
                             "resets (a reset deletes every object and file).")
    changes = await _json_object(request)
    unknown = sorted(set(changes) - set(RESETTABLE))
    if unknown:
        raise InvalidRequest(f"Unknown setting(s) {unknown}; a reset may change {list(RESETTABLE)}.",
                             param=unknown[0])
    try:
        settings = Settings(**{**base.model_dump(), **changes})
        check_cassette_settings(settings.record, settings.replay)
    except ValidationError as exc:
        raise InvalidRequest(f"Invalid settings: {exc.errors()[0]['msg']}") from None
    except CassetteError as exc:
        raise InvalidRequest(str(exc), param="record" if settings.record else "replay") from None
    runtime = await restart_runtime(request.app, settings)
    return json_response({"object": "emulator.reset", "now": runtime.clock.now(), **{
        k: str(v) if v is not None else None for k, v in (("record", settings.record), ("replay", settings.replay))
    }, "deterministic": settings.deterministic})


routes = [
    Route("/clock", read_clock, methods=["GET"]),
    Route("/clock", advance_clock, methods=["POST"]),
    Route("/reset", reset, methods=["POST"]),
]
