"""The ASGI application: routes, error handling, and the lifespan that owns the run engine."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from emulator import api
from emulator.assembly import start_runtime, stop_runtime
from emulator.api.v1compat import V1CompatMiddleware
from emulator.auth import APIKeyMiddleware
from emulator.errors import APIError
from emulator.settings import Settings
from emulator.tools import ToolRegistry

log = logging.getLogger(__name__)


def _error(status: int, message: str, error_type: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": error_type, "param": None, "code": None}},
                        status_code=status)


async def _api_error(_request: Request, exc: APIError) -> JSONResponse:
    return JSONResponse(exc.body(), status_code=exc.status_code)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    if exc.status_code == 405:
        return _error(405, f"Invalid method for URL ({request.method} {request.url.path}).")
    if exc.status_code == 404:
        return _error(404, f"Invalid URL ({request.method} {request.url.path}).")
    return _error(exc.status_code, str(exc.detail))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _error(500, "The server had an error while processing your request. Sorry about that!", "server_error")


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
        exception_handlers={APIError: _api_error, HTTPException: _http_error, Exception: _unexpected},
    )
    app.state.base_settings = settings  # what /_emulator/reset starts again from
    app.state.hosted_tools = tools
    app.add_middleware(V1CompatMiddleware)  # inside the key check: v1 requests need the key too
    app.add_middleware(APIKeyMiddleware, api_key=settings.api_key)
    return app
