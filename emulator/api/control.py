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

from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from emulator.api.http import app_state, json_response, server
from emulator.api.json_body import parse_json
from emulator.api.routing import ApiRoute
from emulator.errors import InvalidRequest
from emulator.ids import Clock
from emulator.recording.cassette import CassetteError, check_cassette_settings
from emulator.settings import Settings

RESETTABLE = ("record", "replay", "replay_repeats", "replay_tool_outputs", "deterministic", "seed", "clock_start",
              "model_map", "scripts_dir")


def _clock(request: Request) -> Clock:
    return server(request).runtime.clock


def _state(request: Request) -> dict[str, Any]:
    clock = _clock(request)
    return {"object": "emulator.clock", "now": clock.now(), "controllable": clock.controllable}


async def read_clock(request: Request) -> Response:
    return json_response(_state(request))


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = parse_json(await request.body())
    except InvalidRequest:
        body = None
    if not isinstance(body, dict):
        raise InvalidRequest("The body must be a JSON object.")
    return body


async def advance_clock(request: Request) -> Response:
    seconds = (await _json_object(request)).get("advance_s")
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        raise InvalidRequest("'advance_s' must be a non-negative integer.", param="advance_s")
    if not _clock(request).controllable:
        raise InvalidRequest("The clock follows real time; it can be moved only in deterministic mode "
                             "(--deterministic or EMULATOR_DETERMINISTIC=1).")
    _clock(request).advance(seconds)
    server(request).engine.expire_overdue()
    return json_response(_state(request))


async def reset(request: Request) -> Response:
    base = app_state(request).base_settings
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
    restart = app_state(request).restart
    assert restart is not None  # create_app sets it
    runtime = await restart(settings)
    return json_response({"object": "emulator.reset", "now": runtime.clock.now(), **{
        k: str(v) if v is not None else None for k, v in (("record", settings.record), ("replay", settings.replay))
    }, "deterministic": settings.deterministic})


routes = [
    ApiRoute("/clock", read_clock, methods=["GET"]),
    ApiRoute("/clock", advance_clock, methods=["POST"]),
    ApiRoute("/reset", reset, methods=["POST"]),
]
