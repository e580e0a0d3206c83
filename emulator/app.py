"""The ASGI application: routes, the edge in front of them, and the lifespan that owns the run engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.types import ASGIApp, Lifespan

from emulator import api, inspector
from emulator.api.wire import Edge
from emulator.app_state import AppState
from emulator.assembly import restart_runtime, start_runtime, stop_runtime
from emulator.llm import ChatModel
from emulator.settings import Settings
from emulator.tools import ToolRegistry

log = logging.getLogger(__name__)



async def _warm_up(models: ChatModel) -> None:
    try:
        await models.warm_up()
    except Exception:  # a failed warm-up costs the first run some time, nothing else
        log.warning("model warm-up failed", exc_info=True)


class EmulatorApp(Starlette):
    """Starlette with `Edge` as its whole middleware stack.

    Starlette puts its ServerErrorMiddleware and ExceptionMiddleware around every app: two more layers,
    each wrapping `send`, on every request. Here the routes answer their own errors (`ApiRoute`) and the
    edge answers the rest (routing's 404 and 405, unexpected errors), so neither is needed.
    """

    def __init__(self, settings: Settings, lifespan: Lifespan[Starlette]) -> None:
        # The inspector's first: it lives under `/_emulator/inspector`, and the API mounts `/_emulator`.
        super().__init__(routes=[*inspector.routes(), *api.routes()], lifespan=lifespan)
        self.settings = settings

    def build_middleware_stack(self) -> ASGIApp:
        return Edge(self.router, api_key=self.settings.api_key, max_json_bytes=self.settings.max_request_bytes,
                    max_upload_bytes=self.settings.max_upload_bytes, public_paths=inspector.PUBLIC_PATHS)


def create_app(settings: Settings | None = None, tools: ToolRegistry | None = None) -> Starlette:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = await start_runtime(app, settings, tools)
        # In the background: the server answers at once; the first run waits for litellm if it must.
        warming = asyncio.get_running_loop().create_task(_warm_up(runtime.models))
        try:
            yield
        finally:
            warming.cancel()
            await stop_runtime(app)

    app = EmulatorApp(settings, lifespan=lifespan)
    AppState(base_settings=settings, hosted_tools=tools,
             restart=lambda new_settings: restart_runtime(app, new_settings)).attach(app)
    return app
