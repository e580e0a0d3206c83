"""HTTP routes, one module per API resource; everything lives under /v1."""

from starlette.routing import Mount

from emulator.api import assistants, files, messages, runs, threads


def routes() -> list:
    v1 = [*assistants.routes, *threads.routes, *messages.routes, *runs.routes, *files.routes]
    return [Mount("/v1", routes=v1)]
