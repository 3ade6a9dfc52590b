"""The URL table of the Salesforce stand-in and the query/auth handlers."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response
from sandbox.salesforce import auth
from sandbox.salesforce.collections import CollectionHandlers
from sandbox.salesforce.query import API_PREFIX, batch_size
from sandbox.salesforce.sobjects import SObjectHandlers

if TYPE_CHECKING:
    from sandbox.salesforce.app import SalesforceApp

_T = r"(?P<sobject>[A-Za-z][A-Za-z0-9_]*)"
_ID = r"(?P<record_id>[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)"


def register(app: SalesforceApp) -> None:
    """Add every REST route to the app's router."""
    rest = SObjectHandlers(app.org, app.faults)
    coll = CollectionHandlers(app.org, app.faults, rest.after_read)
    p = API_PREFIX
    table: list[tuple[str, str, Any, str]] = [
        ("GET", r"/services/data/?", rest.versions, "versions"),
        ("POST", r"/services/oauth2/token", partial(auth.token, app), "oauth.token"),
        (
            "POST",
            r"/services/Soap/u/(?P<version>\d+\.\d)/?",
            partial(auth.soap_login, app),
            "soap.login",
        ),
        ("GET", p + r"/query/?", partial(_query, app, False), "query"),
        ("GET", p + r"/queryAll/?", partial(_query, app, True), "queryAll"),
        (
            "GET",
            p + r"/(?:query|queryAll)/(?P<locator>01g[A-Za-z0-9]+)-(?P<position>\d+)",
            partial(_query_more, app),
            "query.more",
        ),
        ("GET", p + r"/limits/?", partial(_limits, app, rest), "limits"),
        ("GET", r"/id/(?P<org_id>\w+)/(?P<user_id>\w+)", partial(_identity, app), "identity"),
        ("GET", p + r"/sobjects/?", rest.list_objects, "sobjects"),
        ("GET", p + rf"/sobjects/{_T}/describe/?", rest.describe, "sobject.describe"),
        ("GET", p + rf"/sobjects/{_T}/deleted/?", rest.deleted, "sobject.deleted"),
        ("GET", p + rf"/sobjects/{_T}/updated/?", rest.updated, "sobject.updated"),
        ("GET", p + rf"/sobjects/{_T}/?", rest.basic, "sobject.basic"),
        ("POST", p + rf"/sobjects/{_T}/?", rest.create, "sobject.create"),
        ("GET", p + rf"/sobjects/{_T}/{_ID}", rest.get, "sobject.get"),
        ("PATCH", p + rf"/sobjects/{_T}/{_ID}", rest.update, "sobject.update"),
        ("DELETE", p + rf"/sobjects/{_T}/{_ID}", rest.delete, "sobject.delete"),
        (
            "PATCH",
            p + rf"/sobjects/{_T}/(?P<field>\w+)/(?P<value>[^/]+)",
            rest.upsert,
            "sobject.upsert",
        ),
        (
            "GET",
            p + rf"/sobjects/{_T}/(?P<field>\w+)/(?P<value>[^/]+)",
            rest.get_by_external,
            "sobject.get_by_external",
        ),
        ("POST", p + r"/composite/sobjects/?", coll.create, "composite.sobjects.create"),
        ("PATCH", p + r"/composite/sobjects/?", coll.update, "composite.sobjects.update"),
        ("DELETE", p + r"/composite/sobjects/?", coll.delete, "composite.sobjects.delete"),
        (
            "PATCH",
            p + rf"/composite/sobjects/{_T}/(?P<field>\w+)/?",
            coll.upsert,
            "composite.sobjects.upsert",
        ),
        ("GET", p + rf"/composite/sobjects/{_T}/?", coll.retrieve, "composite.sobjects.retrieve"),
        ("POST", p + rf"/composite/sobjects/{_T}/?", coll.retrieve, "composite.sobjects.retrieve"),
        (
            "POST",
            p + r"/tooling/sobjects/CustomField/?",
            rest.tooling_create_field,
            "tooling.customfield.create",
        ),
        ("GET", p + r"/tooling/query/?", rest.tooling_query, "tooling.query"),
    ]
    for method, pattern, handler, endpoint in table:
        app.router.add(method, pattern, partial(app.call, handler), endpoint)


def _query(app: SalesforceApp, include_deleted: bool, request: Request) -> Response:
    soql = request.arg("q") or ""
    batch = batch_size(request.header("Sforce-Query-Options"))
    return Response(200, app.queries.run(soql, include_deleted, batch))


def _query_more(app: SalesforceApp, request: Request, locator: str, position: str) -> Response:
    return Response(200, app.queries.more(locator, int(position)))


def _limits(app: SalesforceApp, rest: SObjectHandlers, request: Request) -> Response:
    return rest.limits(request, app.guard.daily_limit, app.guard.used)


def _identity(app: SalesforceApp, request: Request, org_id: str, user_id: str) -> Response:
    """GET /id/{org}/{user}: which org and user a session belongs to."""
    if org_id != app.options.org_id:
        return Response(404, {"error": "Bad_Id", "error_description": "Bad id"})
    found = app.org.store.get(user_id)
    user = found[1] if found else {}
    return Response(
        200,
        {
            "id": f"https://{request.header('Host')}/id/{org_id}/{user_id}",
            "organization_id": org_id,
            "user_id": user_id,
            "username": user.get("Username"),
            "email": user.get("Email"),
            "active": bool(user.get("IsActive")),
        },
    )
