"""On the wire, every read asks only for the fields the caller named (+ id and modified time)."""

from __future__ import annotations

import json
from typing import Any

from integrations.base import Cursor, WriteRow
from tests.connectors import hubspot_support as hs_support
from tests.connectors import sf_support


def _recording(app: Any) -> list[Any]:
    """Every request this sandbox app answers, in order."""
    seen: list[Any] = []
    passed = app.dispatch

    def dispatch(request: Any) -> Any:
        seen.append(request)
        return passed(request)

    app.dispatch = dispatch
    return seen


def test_salesforce_selects_only_the_named_fields(make_sandbox: Any) -> None:
    sb = sf_support.sandbox(make_sandbox)
    ids = sf_support.load_leads(sb, 3)
    sf = sf_support.connector(sb)
    seen = _recording(sb.salesforce)
    list(sf.changed_since("Lead", Cursor(sf_support.BASE_TIME), ["LastName", "Rating"]))
    list(sf.read_all("Lead", ["Email"]))
    sf.read_by_ids("Lead", ids, ["Company", "Id"])
    selects = [r.query["q"][0].split(" FROM ")[0] for r in seen if "q" in r.query]
    assert selects == [
        "SELECT Id, SystemModstamp, LastName, Rating",
        "SELECT Id, SystemModstamp, Email",
        "SELECT Id, SystemModstamp, Company",
    ]


def _properties(request: Any) -> list[str]:
    if request.body:
        return list(json.loads(request.body).get("properties") or [])
    return [p for value in request.query.get("properties", []) for p in value.split(",")]


def test_hubspot_asks_only_for_the_named_properties(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False)
    hs = hs_support.connector(sb)
    made = hs.create("contacts", [WriteRow({"email": "a@example.com", "firstname": "A"})])
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
    seen = _recording(sb.hubspot)
    changed = list(hs.changed_since("contacts", None, ["email"]))
    listed = list(hs.read_all("companies", ["name", "domain"]))
    by_id = hs.read_by_ids("contacts", [made[0].id or ""], ["firstname"])
    asked = [(r.method, r.path, sorted(_properties(r))) for r in seen]
    assert asked == [
        ("POST", "/crm/v3/objects/contacts/search", ["email", "lastmodifieddate"]),
        ("GET", "/crm/v3/objects/companies", ["domain", "hs_lastmodifieddate", "name"]),
        ("POST", "/crm/v3/objects/contacts/batch/read", ["firstname", "lastmodifieddate"]),
    ]
    assert [r.fields for r in changed] == [{"email": "a@example.com"}] and listed == []
    assert by_id[0].fields == {"firstname": "A"}
