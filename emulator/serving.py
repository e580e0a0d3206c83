"""Serving the app with uvicorn, with a shutdown that takes seconds whatever is in progress.

uvicorn stops in this order: stop accepting, wait until every open connection has
sent its whole response, then run the app's lifespan shutdown. A streamed run's
connection stays open until the run ends, and runs were only stopped by that
lifespan shutdown, so SIGTERM waited for every streamed run to finish on its own
(and, meanwhile, for the ingestion worker to finish the files in hand). Here the
runs and ingestion are stopped first (`begin_shutdown`), which ends their streams
at once with the run's final event; a bounded grace period then covers any other
slow response.
"""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from starlette.applications import Starlette

from emulator.assembly import begin_shutdown

log = logging.getLogger(__name__)

GRACE_S = 3
"""How long open connections may still take after runs and ingestion have stopped."""


class EmulatorServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self._app = app

    async def shutdown(self, sockets=None) -> None:
        try:
            await asyncio.wait_for(begin_shutdown(self._app), GRACE_S * 2)
        except Exception:  # a failure here must not keep the server from stopping
            log.exception("stopping runs and ingestion failed; continuing the shutdown")
        await super().shutdown(sockets=sockets)


def serve(app: Starlette, **config) -> None:
    """`uvicorn.run(app, **config)`, with the prompt shutdown above."""
    EmulatorServer(uvicorn.Config(app, timeout_graceful_shutdown=GRACE_S, **config), app).run()
