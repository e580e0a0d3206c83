"""The ASGI application: routes, error handling, and the lifespan that owns the run engine."""

from __future__ import annotations

import contextlib
import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from emulator import api
from emulator.auth import APIKeyMiddleware
from emulator.engine import RunEngine
from emulator.errors import APIError
from emulator.runtime import Runtime
from emulator.services import Services
from emulator.settings import Settings
from emulator.tools import ToolRegistry, build_tools

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


def create_app(settings: Settings | None = None, tools: ToolRegistry | None = None) -> Starlette:
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        runtime = Runtime.from_settings(settings)
        engine = RunEngine(runtime, tools or build_tools(runtime))
        recovered = engine.recover_interrupted()
        if recovered:
            log.warning("marked %d run(s) interrupted by the last shutdown as failed", recovered)
        engine.start_background()
        await runtime.models.warm_up()
        app.state.runtime = runtime
        app.state.engine = engine
        app.state.services = Services.build(runtime, engine)
        try:
            yield
        finally:
            await engine.shutdown()
            await app.state.services.aclose()
            runtime.stores.db.dispose()

    app = Starlette(
        routes=api.routes(),
        lifespan=lifespan,
        exception_handlers={APIError: _api_error, HTTPException: _http_error, Exception: _unexpected},
    )
    app.add_middleware(APIKeyMiddleware, api_key=settings.api_key)
    return app
