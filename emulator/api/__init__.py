"""HTTP routes, one module per API resource.

Everything lives under `/v1`, and again under `/openai` for Azure OpenAI clients
(`AzureOpenAI(azure_endpoint=...)` calls `/openai/assistants?api-version=...`); test controls
live under `/_emulator`. Requests reach the routes through one layer, `wire.Edge` (see `emulator.app`).
"""

from starlette.routing import BaseRoute, Mount

from emulator.api import (
    assistants,
    containers,
    control,
    conversations,
    files,
    messages,
    responses,
    runs,
    threads,
    vector_store_files,
    vector_stores,
)
from emulator.api.assistants_v1 import files as v1_files
from emulator.api.routing import IndexedRouter


def routes() -> list[BaseRoute]:
    v1 = IndexedRouter([*assistants.routes, *threads.routes, *messages.routes, *runs.routes, *files.routes,
                        *vector_stores.routes, *vector_store_files.routes, *v1_files.routes,
                        *responses.routes, *conversations.routes, *containers.routes])
    return [Mount("/v1", app=v1), Mount("/openai", app=v1), Mount("/_emulator", routes=control.routes)]
