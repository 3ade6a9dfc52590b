"""Admin endpoints for tests (not counted): faults, clock, reset, limits and org-side helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response
from sandbox.salesforce import orgops
from sandbox.salesforce.errors import RecordError
from sandbox.salesforce.seeding import seed_org

if TYPE_CHECKING:
    from sandbox.salesforce.app import SalesforceApp

PREFIX = "/__admin"
Action = Callable[[dict[str, Any]], Any]


def _json_route(action: Action) -> Callable[[Request], Response]:
    """Wrap an action taking the JSON body; errors come back as 400 with the reason."""

    def handler(request: Request) -> Response:
        try:
            body = request.json() or {}
            return Response(200, action(body))
        except RecordError as refused:
            return Response(400, {"error": refused.code, "message": refused.message})
        except (KeyError, TypeError, ValueError) as exc:
            return Response(400, {"error": "BAD_ADMIN_REQUEST", "message": str(exc)})

    return handler


def register(app: SalesforceApp) -> None:
    """Add the admin routes."""
    org = app.org

    def faults(body: dict[str, Any]) -> Any:
        app.faults.configure(body)
        return {key: getattr(app.faults.options, key) for key in body}

    def clock(body: dict[str, Any]) -> Any:
        app.clock.advance(float(body.get("advance_seconds", 0)))
        return {"now": org.now()}

    def reset(body: dict[str, Any]) -> Any:
        with app.store.lock:
            app.store.clear()
            org.reload_metadata()
            seed_org(org)
        app.guard.reset()
        app.guard.daily_limit = app.options.salesforce_daily_limit
        app.guard.concurrent_limit = app.options.salesforce_concurrent_long_limit
        app.counter.reset()
        return {"counts": app.store.counts()}

    def limits(body: dict[str, Any]) -> Any:
        guard = app.guard
        guard.daily_limit = int(body.get("daily_limit", guard.daily_limit))
        guard.used = int(body.get("used", guard.used))
        guard.concurrent_limit = int(body.get("concurrent_limit", guard.concurrent_limit))
        return {
            "daily_limit": guard.daily_limit,
            "used": guard.used,
            "concurrent_limit": guard.concurrent_limit,
        }

    def duplicate_rules(body: dict[str, Any]) -> Any:
        action = str(body["action"])
        if action not in ("allow", "block"):
            raise ValueError("action must be allow or block")
        app.options.duplicate_rule_action = action
        return {"action": action}

    routes: dict[str, Action] = {
        "faults": faults,
        "clock": clock,
        "reset": reset,
        "limits": limits,
        "duplicate_rules": duplicate_rules,
        "merge": lambda b: orgops.merge(org, b["master_id"], list(b["loser_ids"])),
        "convert_lead": lambda b: orgops.convert_lead(
            org, b["lead_id"], bool(b.get("create_opportunity", True))
        ),
        "set_user_active": lambda b: orgops.set_active(org, b["user_id"], bool(b["active"])),
        "edit_as_other_user": lambda b: orgops.edit_as_other_user(org, b["id"], b.get("fields")),
    }
    for name, action in routes.items():
        app.admin.add("POST", f"{PREFIX}/{name}", _json_route(action), "admin")
