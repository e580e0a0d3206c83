"""HTTP routes, one module per API resource.

Everything lives under `/v1`, and again under `/openai` for Azure OpenAI clients
(`AzureOpenAI(azure_endpoint=...)` calls `/openai/assistants?api-version=...`).
"""

from starlette.routing import Mount

from emulator.api import assistants, files, messages, runs, threads


def routes() -> list:
    v1 = [*assistants.routes, *threads.routes, *messages.routes, *runs.routes, *files.routes]
    return [Mount("/v1", routes=v1), Mount("/openai", routes=v1)]
