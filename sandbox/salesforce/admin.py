"""Admin endpoints for tests (not counted): faults, clock, reset, and org-side helpers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.http import Request, Response
from sandbox.salesforce.seeding import seed_org

if TYPE_CHECKING:
    from sandbox.salesforce.app import SalesforceApp

PREFIX = "/__admin"


def register(app: SalesforceApp) -> None:
    """Add the admin routes."""

    def faults(request: Request) -> Response:
        body = request.json() or {}
        try:
            app.faults.configure(body)
        except ValueError as exc:
            return Response(400, {"error": str(exc)})
        return Response(200, {k: getattr(app.faults.options, k) for k in body})

    def clock(request: Request) -> Response:
        app.clock.advance(float((request.json() or {}).get("advance_seconds", 0)))
        return Response(200, {"now": app.org.now()})

    def reset(request: Request) -> Response:
        with app.store.lock:
            app.store.clear()
            app.org.reload_metadata()
            seed_org(app.org)
        app.guard.reset()
        app.counter.reset()
        return Response(200, {"counts": app.store.counts()})

    app.admin.add("POST", PREFIX + "/faults", faults, "admin")
    app.admin.add("POST", PREFIX + "/clock", clock, "admin")
    app.admin.add("POST", PREFIX + "/reset", reset, "admin")
