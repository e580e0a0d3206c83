"""/_emulator: controls for tests, outside the OpenAI API (`/v1`).

`GET /_emulator/clock` reads the clock; `POST /_emulator/clock {"advance_s": N}` moves a
deterministic clock forward and expires at once the runs whose deadline it passed, so a
test decides exactly when a run waiting for tool outputs expires.
"""

from __future__ import annotations

import json

from starlette.routing import Route

from emulator.api.http import json_response
from emulator.errors import InvalidRequest


def _clock(request):
    return request.app.state.runtime.clock


def _state(request) -> dict:
    clock = _clock(request)
    return {"object": "emulator.clock", "now": clock.now(), "controllable": clock.controllable}


async def read_clock(request):
    return json_response(_state(request))


async def advance_clock(request):
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise InvalidRequest("The body must be JSON, e.g. {\"advance_s\": 600}.") from None
    seconds = body.get("advance_s") if isinstance(body, dict) else None
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
        raise InvalidRequest("'advance_s' must be a non-negative integer.", param="advance_s")
    if not _clock(request).controllable:
        raise InvalidRequest("The clock follows real time; it can be moved only in deterministic mode "
                             "(--deterministic or EMULATOR_DETERMINISTIC=1).")
    _clock(request).advance(seconds)
    request.app.state.engine.expire_overdue()
    return json_response(_state(request))


routes = [
    Route("/clock", read_clock, methods=["GET"]),
    Route("/clock", advance_clock, methods=["POST"]),
]
