"""The Salesforce stand-in app: routes, auth and limits, faults, seed data."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from sandbox.app import SandboxApp
from sandbox.clock import SandboxClock
from sandbox.faults import FaultEngine
from sandbox.http import Request, Response, Route
from sandbox.options import SandboxOptions
from sandbox.salesforce import admin, routes
from sandbox.salesforce.errors import RecordError, RequestError, error
from sandbox.salesforce.guard import Guard
from sandbox.salesforce.org import Org
from sandbox.salesforce.query import QueryEngine
from sandbox.salesforce.seeding import seed_org
from sandbox.salesforce.soql import SoqlError
from sandbox.salesforce.store import Store

# Routes answered without a session and without counting toward the daily budget.
PUBLIC_ENDPOINTS = {"versions", "oauth.token", "soap.login"}
WRITE_METHODS = {"POST", "PATCH", "PUT", "DELETE"}


def salesforce_db_path(db_path: Path | None) -> Path | None:
    """The org's own file beside the one given (HubSpot keeps that one): x.db -> x.salesforce.db.

    A file per system keeps one system's write lock from stalling the other.
    """
    if db_path is None:
        return None
    return db_path.with_name(f"{db_path.stem}.salesforce{db_path.suffix or '.db'}")


class SalesforceApp(SandboxApp):
    """Salesforce REST v59.0 over one SQLite store."""

    name = "salesforce"

    def __init__(self, options: SandboxOptions, session_id: str) -> None:
        super().__init__()
        self.options = options
        self.session_id = session_id
        self.clock = SandboxClock()
        # A copy: faults set through this system's admin endpoint leave the other system alone.
        self.faults = FaultEngine(dataclasses.replace(options.faults))
        self.store = Store(salesforce_db_path(options.db_path))
        self.org = Org(options, self.store, self.clock)
        self.queries = QueryEngine(self.org)
        self.guard = Guard(
            options.salesforce_daily_limit,
            options.salesforce_concurrent_long_limit,
            self.faults,
            self.clock,
        )
        self.guard.sessions.add(session_id)
        if self.store.is_empty():
            seed_org(self.org)
        routes.register(self)
        admin.register(self)

    def close(self) -> None:
        """Release the database."""
        self.store.close()

    def dispatch(self, request: Request) -> Response:
        """Answer one request, tracking how many are in flight."""
        self.guard.enter()
        try:
            return super().dispatch(request)
        finally:
            self.guard.leave()

    def before(self, request: Request, route: Route) -> Response | None:
        """Session, faults, daily budget and concurrency, in that order."""
        if route.endpoint in PUBLIC_ENDPOINTS:
            return None
        return self.guard.admit(request)

    def after(self, request: Request, route: Route, response: Response) -> Response:
        """Limit info on every answer; lost answers for writes that happened."""
        response.headers.update(self.guard.usage_header())
        if (
            request.method in WRITE_METHODS
            and route.endpoint not in PUBLIC_ENDPOINTS
            and response.status < 300
            and self.faults.lost_answer()
        ):
            response.drop_connection = True
        return response

    def call(self, handler: Any, request: Request, **args: str) -> Response:
        """Run a handler, turning the org's exceptions into Salesforce's error answers."""
        try:
            response: Response = handler(request, **args)
        except (RecordError, RequestError) as refused:
            return refused.as_response()
        except SoqlError as bad:
            return error(400, bad.code, bad.message)
        return response

    def not_found(self, request: Request) -> Response:
        """Unknown resource, in Salesforce's list shape."""
        answer = error(404, "NOT_FOUND", "The requested resource does not exist")
        answer.headers.update(self.guard.usage_header())
        return answer

    def method_not_allowed(self, request: Request) -> Response:
        """Known resource, wrong method."""
        allowed = "GET, PATCH, DELETE, HEAD"
        answer = error(
            405,
            "METHOD_NOT_ALLOWED",
            f"HTTP Method '{request.method}' not allowed. Allowed are {allowed}",
        )
        answer.headers.update(self.guard.usage_header())
        return answer

    def bad_request(self, request: Request, message: str) -> Response:
        """A body the handler could not read."""
        return error(400, "JSON_PARSER_ERROR", message)

    def describe(self) -> dict[str, Any]:
        """Live records per object."""
        return self.store.counts()
