"""The inspector: a read-only page in the browser, served by the emulator itself, showing what the model,
the tools and the app did.

`/inspector` serves one dependency-free page (`static/`: HTML, JavaScript, CSS; no CDN, no build step),
and `/` redirects there. The page reads JSON from `/_emulator/inspector/api/...` (`routes.py`), built by
`views.py` through the same services the API uses, plus the run traces (`emulator.traces`: each run's
events in time and its model calls) and the replay cassette; it downloads files and searches vector
stores through the API itself (`/v1/files/{id}/content`, `/v1/vector_stores/{id}/search`). A run in
progress (or a response: `static/responses.js` shows the Responses API's responses, conversations and
containers) is followed over server-sent events from the same event hub the API streams from.

With `--api-key`, the JSON endpoints ask for the key like the API does (the page keeps it in the tab's
`sessionStorage` and sends it as a Bearer token); the page's own files load without it and show nothing.

Sits just above the API layer: it reuses its request helpers (`emulator.api.http`), never the reverse.
"""

from emulator.inspector.routes import PUBLIC_PATHS, routes

__all__ = ["PUBLIC_PATHS", "routes"]
