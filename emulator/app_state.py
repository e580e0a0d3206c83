"""The one object on the app's `app.state`: what the routes need, typed.

`AppState` is made once per app (`create_app`); the `Server` in it is made by each start of the
emulator (the lifespan, and `/_emulator/reset`, which replaces it whole: a request sees the old
server or the new one, never half of each). Route handlers reach both through
`emulator.api.http.server(request)` and friends, never through `app.state` attributes by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.applications import Starlette

from emulator.engine import RunEngine
from emulator.recording.tape import Tape
from emulator.responses import ResponseEngine
from emulator.runtime import Runtime
from emulator.services import Services
from emulator.settings import Settings
from emulator.tools import ToolRegistry


@dataclass(frozen=True)
class Server:
    """One start of the emulator: built by `emulator.assembly.start_runtime`."""

    runtime: Runtime
    engine: RunEngine
    services: Services
    registry: ToolRegistry
    """The hosted tools, wrapped for recording and replay."""
    responses: ResponseEngine
    tape: Tape | None = None
    """The cassette being recorded or replayed, if any (the inspector shows it and the replay misses)."""


@dataclass
class AppState:
    base_settings: Settings
    """What `/_emulator/reset` starts again from."""
    hosted_tools: ToolRegistry | None
    """Tools given to `create_app` (tests); None builds the default ones at each start."""
    restart: Callable[[Settings], Awaitable[Runtime]] | None = None
    """Stop the server, delete everything, start again with other settings (`/_emulator/reset`); set by
    `create_app`, so the routes need not reach up to the assembly."""
    server: Server | None = None
    """None until the lifespan has started the emulator."""

    @staticmethod
    def of(app: Starlette) -> "AppState":
        return app.state.emulator

    def attach(self, app: Starlette) -> None:
        app.state.emulator = self

    def started(self) -> Server:
        if self.server is None:
            raise RuntimeError("the emulator has not been started (the app's lifespan has not run)")
        return self.server
