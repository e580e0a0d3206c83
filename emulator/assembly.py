"""Assembling a server: the runtime, run engine and services on the app's state, and taking them down.

The one place where the layers are wired together: it builds the parts above the
runtime (the file-search index, record and replay around the model client and the
hosted tools, the hosted tools themselves) and hands each part what it needs, so
the lower layers never reach up. It starts what runs in the background only once
everything is built.

Used by the app's lifespan, and by `/_emulator/reset`, which starts them again on a blank data dir.
"""

from __future__ import annotations

import asyncio
import logging
import shutil

from starlette.applications import Starlette

from emulator.app_state import AppState, Server
from emulator.engine import RunEngine
from emulator.llm import ModelClient
from emulator.llm.aids import AidedModels
from emulator.recording.hosted_tools import wrap_hosted_tools
from emulator.recording.model_calls import wrap_model_client
from emulator.recording.tape import MISS_LOG_NAME, Tape
from emulator.responses import ResponseEngine
from emulator.runtime import Runtime
from emulator.services import Services
from emulator.services.containers import ContainerService
from emulator.services.files import FileService
from emulator.services.vector_stores import VectorStoreService
from emulator.settings import Settings
from emulator.signals import EventHub
from emulator.store.schema import metadata
from emulator.tools import ToolRegistry, build_tools
from emulator.tools.code_interpreter import ContainerHooks
from emulator.tools.file_search import FileSearch
from emulator.traces import RunTraces

log = logging.getLogger(__name__)


async def start_runtime(app: Starlette, settings: Settings, tools: ToolRegistry | None) -> Runtime:
    """Build the runtime, engine and services for `settings` (the app state's `Server`), and start them.

    `tools`, when given, replaces the hosted tools `build_tools` makes (tests pass stand-ins)."""
    tape = Tape.from_settings(settings)
    traces = RunTraces()  # what the inspector shows of each run: its events and the calls made through litellm
    # Small-model aids outermost: a cassette records the calls as the model got them.
    client = ModelClient.from_settings(settings, observer=traces.model_call)
    models = AidedModels(wrap_model_client(client, tape), settings.model_map)
    runtime = Runtime.from_settings(settings, models, EventHub(tap=traces.on_event), traces)
    file_search = FileSearch(settings, runtime.stores, runtime.clock)
    # Made before the engine: the hosted tools get a part of them (code_interpreter makes its files with
    # the server's one file service, so a file it makes is deleted like any other).
    vector_stores = VectorStoreService(runtime, file_search)
    files = FileService(runtime, on_delete=vector_stores.files.remove_everywhere)
    containers = ContainerService(runtime)
    hosted = tools or build_tools(settings, runtime.stores, file_search, files.create_output,
                                  ContainerHooks(containers.create_output, containers.touch))
    registry = wrap_hosted_tools(hosted, tape, runtime.stores.blobs)
    containers.bind_sessions(registry.session_deleted)  # a deleted or expired container's sandbox stops
    await registry.start()
    engine = RunEngine(runtime, registry)
    recovered = engine.recover_interrupted()
    if recovered:
        log.warning("marked %d run(s) interrupted by the last shutdown as failed", recovered)
    engine.start_background()
    responses = ResponseEngine(runtime, registry)
    if failed := responses.recover_interrupted():
        log.warning("marked %d response(s) interrupted by the last shutdown as failed", failed)
    services = Services.build(runtime, engine, file_search, files, vector_stores, responses, containers)
    services.start()
    AppState.of(app).server = Server(runtime, engine, services, registry, responses, tape)
    return runtime


async def begin_shutdown(app: Starlette) -> None:
    """The first step of stopping, taken before the HTTP server waits for open connections to finish: end
    the runs in progress (their streams end with them) and stop file ingestion where it stands. Both end
    as a restart would end them. `stop_runtime` does the rest once the connections are closed."""
    server = AppState.of(app).server
    if server is None:  # never started
        return
    await server.engine.shutdown()
    await server.responses.shutdown()
    await asyncio.to_thread(server.services.vector_stores.files.halt_ingestion)


async def stop_runtime(app: Starlette) -> None:
    server = AppState.of(app).started()
    await server.engine.shutdown()
    await server.responses.shutdown()
    await server.services.aclose()
    await server.registry.shutdown()
    server.runtime.stores.db.dispose()


async def restart_runtime(app: Starlette, settings: Settings) -> Runtime:
    """Stop what runs, delete every object and file, and start again with `settings` (test controls)."""
    state = AppState.of(app)
    server = state.started()
    runtime = server.runtime
    await server.engine.shutdown()
    await server.responses.shutdown()
    await server.services.aclose()
    await server.registry.shutdown()
    with runtime.stores.db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
    runtime.stores.db.dispose()
    shutil.rmtree(runtime.settings.files_dir, ignore_errors=True)
    (runtime.settings.data_dir / MISS_LOG_NAME).unlink(missing_ok=True)
    return await start_runtime(app, settings, state.hosted_tools)
