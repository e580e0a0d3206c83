"""HTTP routes, one module per API resource; everything lives under /v1."""

from starlette.routing import Mount

from emulator.api import assistants, files, messages, runs, threads, vector_store_files, vector_stores


def routes() -> list:
    v1 = [*assistants.routes, *threads.routes, *messages.routes, *runs.routes, *files.routes,
          *vector_stores.routes, *vector_store_files.routes]
    return [Mount("/v1", routes=v1)]
