"""The base every sandbox API derives from: routing, counting, admin endpoints, hooks."""

from __future__ import annotations

import json
import threading
from typing import Any

from sandbox.counter import CallCounter
from sandbox.http import Request, Response, Route, Router

ADMIN_PREFIX = "/__admin"


class SandboxApp:
    """One stand-in API. Subclasses register routes and may override the hooks.

    A call passes: admin routes (not counted) -> route match -> count -> `before`
    (auth, limits, faults may answer instead) -> handler -> `after` (headers).
    """

    name = "sandbox"

    def __init__(self) -> None:
        self.router = Router()
        self.counter = CallCounter()
        # One lock serialises writes to the store; reads may run alongside.
        self.lock = threading.RLock()
        self.admin = Router()
        self.admin.add("GET", ADMIN_PREFIX + "/calls", self._admin_calls, "admin")
        self.admin.add("POST", ADMIN_PREFIX + "/calls/reset", self._admin_reset_calls, "admin")

    def dispatch(self, request: Request) -> Response:
        """Answer one request."""
        if request.path.startswith(ADMIN_PREFIX):
            return self._dispatch_admin(request)
        found = self.router.match(request.method, request.path)
        if found is None:
            if self.router.allows_path(request.path):
                return self.method_not_allowed(request)
            return self.not_found(request)
        route, args = found
        self.counter.record(route.endpoint)
        early = self.before(request, route)
        if early is not None:
            return self.after(request, route, early)
        try:
            response = route.handler(request, **args)
        except ValueError as exc:
            response = self.bad_request(request, str(exc))
        return self.after(request, route, response)

    def _dispatch_admin(self, request: Request) -> Response:
        found = self.admin.match(request.method, request.path)
        if found is None:
            return Response(404, {"error": f"no admin route {request.method} {request.path}"})
        route, args = found
        return route.handler(request, **args)

    def _admin_calls(self, request: Request) -> Response:
        return Response(
            200, {"total": self.counter.total(), "by_endpoint": self.counter.snapshot()}
        )

    def _admin_reset_calls(self, request: Request) -> Response:
        self.counter.reset()
        return Response(204)

    # Hooks a system overrides for its own error shapes and behaviours.
    def before(self, request: Request, route: Route) -> Response | None:
        """Auth, rate limits and faults; return a Response to answer instead of the handler."""
        return None

    def after(self, request: Request, route: Route, response: Response) -> Response:
        """Add headers every answer carries (limit info, request ids)."""
        return response

    def not_found(self, request: Request) -> Response:
        """The answer for an unknown path."""
        return Response(404, {"message": f"not found: {request.path}"})

    def method_not_allowed(self, request: Request) -> Response:
        """The answer for a known path with a method it does not take."""
        return Response(405, {"message": f"method {request.method} not allowed"})

    def bad_request(self, request: Request, message: str) -> Response:
        """The answer for a body or argument the handler could not read."""
        return Response(400, {"message": message})

    def describe(self) -> dict[str, Any]:
        """What is in the store, for `crmops demo` and `sandbox serve` (object -> count)."""
        return {}


def json_body(response: Response) -> Any:
    """Decode a Response body for tests that call `dispatch` directly."""
    return json.loads(response.encoded() or b"null")
