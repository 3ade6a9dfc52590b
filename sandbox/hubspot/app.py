"""The HubSpot stand-in: wires the store, the endpoints, auth, rate limits and faults together."""

from __future__ import annotations

import dataclasses
import functools
import json
import random
from typing import Any

from sandbox.app import SandboxApp
from sandbox.clock import SandboxClock
from sandbox.faults import CallFault, FaultEngine
from sandbox.http import Request, Response, Route
from sandbox.hubspot import admin, seeding
from sandbox.hubspot.associations import AssociationRoutes
from sandbox.hubspot.batch import BatchRoutes
from sandbox.hubspot.constants import AUTH_CATEGORY, OBJECT_TYPES
from sandbox.hubspot.errors import ApiError, error_body
from sandbox.hubspot.limits import RateLimiter, rate_limited
from sandbox.hubspot.objects import ObjectRoutes
from sandbox.hubspot.portal import PortalRoutes, default_owners, pipelines, stage_ids
from sandbox.hubspot.records import Records, Write
from sandbox.hubspot.schema import PortalSchema
from sandbox.hubspot.store import Row, Store
from sandbox.options import SandboxOptions

AUTH_MESSAGE = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can "
    "find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)
SERVER_ERRORS = (500, 502, 503)
# The field "someone else" changes when the concurrent-edit fault fires.
CONCURRENT_EDIT_FIELD = {
    "contacts": "jobtitle",
    "companies": "city",
    "deals": "dealname",
    "tasks": "hs_task_body",
}


def _guarded(handler: Any, *args: Any, **kwargs: Any) -> Response:
    try:
        response: Response = handler(*args, **kwargs)
    except ApiError as exc:
        return exc.response()
    except (KeyError, TypeError) as exc:
        return Response(400, error_body(f"Invalid input JSON: {exc}", "VALIDATION_ERROR"))
    return response


class HubSpotApp(SandboxApp):
    """CRM v3 objects, v4 associations, properties, owners and pipelines of one portal."""

    name = "hubspot"

    def __init__(self, options: SandboxOptions, token: str) -> None:
        super().__init__()
        self.options = options
        self.token = token
        self.clock = SandboxClock()
        self.store = Store(options.db_path)
        self.lock = self.store.lock
        self.schema = PortalSchema({"owners": self._owner_ids, "pipelines": self._pipeline_options})
        self.records = Records(self.store, self.schema, self.clock)
        # A copy: faults set through this system's admin endpoint leave the other system alone.
        self.faults = FaultEngine(dataclasses.replace(options.faults))
        self.limiter = RateLimiter(options, self.clock)
        # Seeded picks the fault engine does not make (which 5xx, which contacts to touch).
        self.rng = random.Random(options.faults.seed)
        for routes in (ObjectRoutes, BatchRoutes, AssociationRoutes, PortalRoutes):
            routes(self)
        for route in self.router.routes:
            route.handler = functools.partial(_guarded, route.handler)
        admin.register(self)
        seeding.restore_properties(self)
        seeding.load(self)

    # --- hooks -------------------------------------------------------------------
    def before(self, request: Request, route: Route) -> Response | None:
        """Auth, then faults, then rate limits, then whole-batch rejection."""
        if request.header("Authorization") != f"Bearer {self.token}":
            return Response(401, error_body(AUTH_MESSAGE, AUTH_CATEGORY))
        fault = self.faults.on_call()
        if fault is not None:
            return self._fault_response(fault)
        limited = self.limiter.admit(search=route.endpoint == "objects.search")
        if limited is not None:
            return limited
        if ".batch." in route.endpoint and self.faults.batch_rejected():
            return Response(500, error_body("internal error", "INTERNAL_ERROR"))
        return None

    def _fault_response(self, fault: CallFault) -> Response:
        portal = self.options.portal_id
        if fault is CallFault.RATE_LIMIT:
            return rate_limited("TEN_SECONDLY_ROLLING", portal, 1)
        if fault is CallFault.BUDGET_EXHAUSTED:
            return rate_limited("DAILY", portal, self.limiter.seconds_to_midnight())
        if fault is CallFault.SESSION_EXPIRED:
            return Response(
                401,
                error_body(
                    "The OAuth token used to make this call expired.", "EXPIRED_AUTHENTICATION"
                ),
            )
        if fault is CallFault.HANG:
            self.faults.hang()
            return Response(504, error_body("gateway timeout", "INTERNAL_ERROR"))
        status = self.rng.choice(SERVER_ERRORS)
        return Response(status, error_body("internal error", "INTERNAL_ERROR"))

    def after(self, request: Request, route: Route, response: Response) -> Response:
        """Limit headers on normal answers (search answers carry none), then analytics noise."""
        if (
            self.options.rate_limits
            and route.endpoint != "objects.search"
            and response.status != 401
        ):
            response.headers.update(self.limiter.headers())
        touches = self.faults.options.analytics_touch_per_call
        if touches and response.status < 500:
            admin.touch_contacts(self, touches)
        return response

    def not_found(self, request: Request) -> Response:
        """HubSpot's 404 for an unknown path."""
        return Response(
            404, error_body(f"Unable to route {request.method} {request.path}", "OBJECT_NOT_FOUND")
        )

    def bad_request(self, request: Request, message: str) -> Response:
        """HubSpot's 400 for a body it cannot read."""
        return Response(400, error_body(f"Invalid input JSON: {message}", "VALIDATION_ERROR"))

    def describe(self) -> dict[str, Any]:
        """Live records per object type."""
        rows = self.store.query("SELECT type, COUNT(*) FROM objects WHERE archived=0 GROUP BY type")
        counts = {t: 0 for t in OBJECT_TYPES}
        counts.update({str(t): int(n) for t, n in rows})
        return counts

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    # --- services the routes share -------------------------------------------------
    def apply_write(self, writes: list[Write]) -> list[Row]:
        """Apply validated writes all together."""
        return self.records.apply(writes)

    def maybe_lost(self, response: Response) -> Response:
        """A write's answer, or (lost-answer fault) a dropped connection after the write."""
        if self.faults.lost_answer():
            response.drop_connection = True
        return response

    def after_read(self, kind: str, object_id: int) -> None:
        """The concurrent-edit fault: someone else changes the record just after it was read."""
        if self.faults.concurrent_edit():
            admin.edit_as_other_user(
                self, kind, object_id, {CONCURRENT_EDIT_FIELD[kind]: "edited by another user"}
            )

    def search_horizon_ms(self) -> int:
        """Search sees only records whose last write is older than the index lag."""
        return self.records.now_ms() - int(self.options.search_lag_seconds * 1000)

    def merge(self, kind: str, winner: Row, loser: Row) -> Row:
        """Merge `loser` into `winner` (loser gone, listed in `hs_merged_object_ids`)."""
        return self.records.merge(kind, winner, loser)

    def owners(self) -> list[dict[str, Any]]:
        """The portal's owners (seeded, or a default few)."""
        rows = self.store.query("SELECT data FROM owners ORDER BY id")
        return [json.loads(r[0]) for r in rows] or default_owners(self.options.portal_id)

    def _owner_ids(self, name: str) -> list[str]:
        return [o["id"] for o in self.owners()]

    def pipelines(self) -> list[dict[str, Any]]:
        """Deal pipelines with their per-portal stage ids."""
        return pipelines(self.schema.raw["pipelines"]["deals"], self.stage_ids())

    def stage_ids(self) -> dict[str, str]:
        """Deal stage label -> this portal's stage id."""
        try:
            from fixtures.seed import hubspot_stage_ids
        except ModuleNotFoundError as exc:
            if exc.name != "fixtures.seed":
                raise
            labels = [s for p in self.schema.raw["pipelines"]["deals"] for s in p["stages"]]
            return stage_ids(self.options.portal_id, labels)
        # The seed's deals carry its stage ids, so the portal answers with the same ones.
        return dict(hubspot_stage_ids(self.options.seed))

    def _pipeline_options(self, name: str) -> list[str]:
        if name == "pipeline":
            return [p["id"] for p in self.schema.raw["pipelines"]["deals"]]
        return list(self.stage_ids().values())

    def option_labels(self, source: str | None) -> dict[str, str]:
        """Display labels of dynamic options (owner names, stage labels)."""
        if source == "owners":
            return {
                o["id"]: f"{o.get('firstName', '')} {o.get('lastName', '')}".strip()
                for o in self.owners()
            }
        if source == "pipelines":
            return {v: k for k, v in self.stage_ids().items()}
        return {}
