"""Assembling a server: the runtime, run engine and services on the app's state, and taking them down.

Used by the app's lifespan, and by `/_emulator/reset`, which starts them again on a blank data dir.
"""

from __future__ import annotations

import asyncio
import logging
import shutil

from starlette.applications import Starlette

from emulator.app_state import AppState, Server
from emulator.engine import RunEngine
from emulator.llm.recording import MISS_LOG_NAME
from emulator.llm.tool_recording import wrap_hosted_tools
from emulator.runtime import Runtime
from emulator.services import Services
from emulator.settings import Settings
from emulator.store.schema import metadata
from emulator.tools import ToolRegistry, build_tools

log = logging.getLogger(__name__)


async def start_runtime(app: Starlette, settings: Settings, tools: ToolRegistry | None) -> Runtime:
    """Build the runtime, engine and services for `settings`: the app state's `Server`."""
    runtime = Runtime.from_settings(settings)
    registry = wrap_hosted_tools(tools or build_tools(runtime), runtime.tape, runtime.stores.blobs)
    await registry.start()
    engine = RunEngine(runtime, registry)
    recovered = engine.recover_interrupted()
    if recovered:
        log.warning("marked %d run(s) interrupted by the last shutdown as failed", recovered)
    engine.start_background()
    AppState.of(app).server = Server(runtime, engine, Services.build(runtime, engine), registry)
    return runtime


async def begin_shutdown(app: Starlette) -> None:
    """The first step of stopping, taken before the HTTP server waits for open connections to finish: end
    the runs in progress (their streams end with them) and stop file ingestion where it stands. Both end
    as a restart would end them. `stop_runtime` does the rest once the connections are closed."""
    server = AppState.of(app).server
    if server is None:  # never started
        return
    await server.engine.shutdown()
    await asyncio.to_thread(server.services.vector_stores.files.halt_ingestion)


async def stop_runtime(app: Starlette) -> None:
    server = AppState.of(app).started()
    await server.engine.shutdown()
    await server.services.aclose()
    await server.registry.shutdown()
    server.runtime.stores.db.dispose()


async def restart_runtime(app: Starlette, settings: Settings) -> Runtime:
    """Stop what runs, delete every object and file, and start again with `settings` (test controls)."""
    state = AppState.of(app)
    server = state.started()
    runtime = server.runtime
    await server.engine.shutdown()
    await server.services.aclose()
    await server.registry.shutdown()
    with runtime.stores.db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    runtime.stores.db.dispose()
    shutil.rmtree(runtime.settings.files_dir, ignore_errors=True)
    (runtime.settings.data_dir / MISS_LOG_NAME).unlink(missing_ok=True)
    return await start_runtime(app, settings, state.hosted_tools)
