"""The ASGI application: routes, error handling, and the lifespan that owns the run engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette

from emulator import api
from emulator.assembly import start_runtime, stop_runtime
from emulator.api import error_handlers
from emulator.api.v1compat import V1CompatMiddleware
from emulator.api.wire import BodyLimitMiddleware, LastResortMiddleware
from emulator.auth import APIKeyMiddleware
from emulator.settings import Settings
from emulator.tools import ToolRegistry

log = logging.getLogger(__name__)


async def _warm_up(models) -> None:
    try:
        await models.warm_up()
    except Exception:  # a failed warm-up costs the first run some time, nothing else
        log.warning("model warm-up failed", exc_info=True)


def create_app(settings: Settings | None = None, tools: ToolRegistry | None = None) -> Starlette:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        runtime = await start_runtime(app, settings, tools)
        # In the background: the server answers at once; the first run waits for litellm if it must.
        warming = asyncio.get_running_loop().create_task(_warm_up(runtime.models))
        try:
            yield
        finally:
            warming.cancel()
            await stop_runtime(app)

    app = Starlette(
        routes=api.routes(),
        lifespan=lifespan,
        # Unexpected exceptions are answered by LastResortMiddleware, which keeps the connection usable.
        exception_handlers=error_handlers.HANDLERS,
    )
    app.state.base_settings = settings  # what /_emulator/reset starts again from
    app.state.hosted_tools = tools
    app.add_middleware(V1CompatMiddleware)  # inside the key check: v1 requests need the key too
    app.add_middleware(APIKeyMiddleware, api_key=settings.api_key)
    app.add_middleware(BodyLimitMiddleware, max_json_bytes=settings.max_request_bytes,
                       max_upload_bytes=settings.max_upload_bytes)
    app.add_middleware(LastResortMiddleware)  # outermost: catches what every other layer lets through
    return app
