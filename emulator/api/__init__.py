"""HTTP routes, one module per API resource.

Everything lives under `/v1`, and again under `/openai` for Azure OpenAI clients
(`AzureOpenAI(azure_endpoint=...)` calls `/openai/assistants?api-version=...`); test controls
live under `/_emulator`.
"""

from starlette.routing import Mount

from emulator.api import assistants, control, files, messages, runs, threads, vector_store_files, vector_stores


def routes() -> list:
    v1 = [*assistants.routes, *threads.routes, *messages.routes, *runs.routes, *files.routes,
          *vector_stores.routes, *vector_store_files.routes]
    return [Mount("/v1", routes=v1), Mount("/openai", routes=v1), Mount("/_emulator", routes=control.routes)]
