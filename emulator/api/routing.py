"""Starlette's routes and router, with the per-request work the read path does not need taken out.

`ApiRoute` calls its handler and answers the errors it raises (`error_handlers.handler_for`) itself.
Starlette's own `request_response` finds the same handlers through two more coroutines and a wrapped
`send` on every request, and needs its `ExceptionMiddleware` layer in front of the router.

`IndexedRouter` tries, for each request, only the routes whose path has the request path's shape (its
number of segments and its first segment) instead of every route in order: two to six regular
expressions rather than up to forty on the read path. It tries first those of the request's method
(only they can match fully), and walks all of the shape only when none does, to choose between a 405
and a 404. Routes keep their order, so which route answers, and when a request gets a 405 rather than
a 404, is what Starlette's walk decides.
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
        self._by_shape_and_method: dict[tuple[int, str, str], list[Route]] = {}
        for route in routes:
            if (not isinstance(route, Route) or "{" in _shape(route.path)[1] or ":path}" in route.path
                    or not route.methods):
                raise ValueError(f"IndexedRouter takes routes with a literal first segment, no path "
                                 f"convertor and their methods named, not {route!r}")
            self._by_shape.setdefault(_shape(route.path), []).append(route)
            for method in route.methods:  # with HEAD where GET is (Starlette adds it)
                self._by_shape_and_method.setdefault((*_shape(route.path), method), []).append(route)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            shape = _shape(get_route_path(scope))
            for route in self._by_shape_and_method.get((*shape, scope["method"]), ()):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    return await self._handle(route, child_scope, scope, receive, send)
            # None of the method's matched (a route of the method matches fully or not at all): the first
            # route of the path under another method answers, with a 405.
            for route in self._by_shape.get(shape, ()):
                match, child_scope = route.matches(scope)
                if match is Match.PARTIAL:
                    return await self._handle(route, child_scope, scope, receive, send)
        # No route of the path's shape: Starlette's walk (a redirect for a trailing slash, or a 404).
        await super().app(scope, receive, send)

    async def _handle(self, route: Route, child_scope: Scope, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("router", self)
        scope["route"] = route
        scope.update(child_scope)
        await route.handle(scope, receive, send)
