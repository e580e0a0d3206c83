"""Starlette's routes and router, with the per-request work the read path does not need taken out.

`ApiRoute` calls its handler and answers the errors it raises (`error_handlers.handler_for`) itself.
Starlette's own `request_response` finds the same handlers through two more coroutines and a wrapped
`send` on every request, and needs its `ExceptionMiddleware` layer in front of the router.

`IndexedRouter` tries, for each request, only the routes whose path has the request path's shape (its
number of segments and its first segment) instead of every route in order: two to six regular
expressions rather than up to forty on the read path. Routes of one shape keep their order, so which
route answers, and when a request gets a 405 rather than a 404, is what Starlette's walk decides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.api import error_handlers

Handler = Callable[[Request], Awaitable[Response]]


class ApiRoute(Route):
    def __init__(self, path: str, handler: Handler, *, methods: list[str]) -> None:
        super().__init__(path, handler, methods=methods)
        self.app = _answering(handler)


def _answering(handler: Handler) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response = await handler(request)
        except Exception as exc:
            answer = error_handlers.handler_for(exc)
            if answer is None:
                raise  # to the edge's last resort (emulator.api.wire)
            response = await answer(request, exc)
        await response(scope, receive, send)

    return app


def _shape(path: str) -> tuple[int, str]:
    """A path's number of segments and its first segment. A `{param}` matches one whole segment, so a
    route whose first segment is literal matches only paths of its own shape."""
    parts = path.split("/", 2)
    return path.count("/"), parts[1] if len(parts) > 1 else ""


class IndexedRouter(Router):
    def __init__(self, routes: Sequence[Route]) -> None:
        super().__init__(list(routes))
        self._by_shape: dict[tuple[int, str], list[Route]] = {}
        for route in routes:
            if not isinstance(route, Route) or "{" in _shape(route.path)[1] or ":path}" in route.path:
                raise ValueError(f"IndexedRouter takes routes with a literal first segment and no path "
                                 f"convertor, not {route!r}")
            self._by_shape.setdefault(_shape(route.path), []).append(route)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            chosen: tuple[Route, Scope] | None = None
            for route in self._by_shape.get(_shape(get_route_path(scope)), ()):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    chosen = route, child_scope
                    break
                if match is Match.PARTIAL and chosen is None:
                    chosen = route, child_scope  # the path, another method: a 405 unless a later one matches
            if chosen is not None:
                route, child_scope = chosen
                scope.setdefault("router", self)
                scope["route"] = route
                scope.update(child_scope)
                await route.handle(scope, receive, send)
                return
        # No route of the path's shape: Starlette's walk (a redirect for a trailing slash, or a 404).
        await super().app(scope, receive, send)
