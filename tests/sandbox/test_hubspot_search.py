"""HubSpot stand-in: search filters, sort, limits, the 10,000 cap and index lag."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.objects import PublicObjectSearchRequest
from hubspot.crm.objects.exceptions import ApiException

from tests.sandbox.clients import hubspot_client
from tests.sandbox.hubspot_helpers import admin, advance, contact_batch


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def search(sb: Any, **request: Any) -> Any:
    return hubspot_client(sb).crm.objects.search_api.do_search_with_http_info(
        "contacts", PublicObjectSearchRequest(**request)
    )


def eq(name: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    return {"propertyName": name, "operator": op, "value": value, **extra}


@pytest.fixture
def people(sb: Any) -> list[str]:
    client = hubspot_client(sb)
    emails = ["ann@x.com", "bob@x.com", "cy@y.org", "dee@y.org"]
    created = client.crm.objects.batch_api.create("contacts", contact_batch(emails))
    ids = {r.properties["email"]: r.id for r in created.results}
    body = {
        "inputs": [
            {"id": ids["ann@x.com"], "properties": {"company_size": "5", "lifecyclestage": "lead"}},
            {"id": ids["bob@x.com"], "properties": {"company_size": "50"}},
        ]
    }
    client.crm.objects.batch_api.update("contacts", body)
    advance(sb, 60)
    return [ids[e] for e in emails]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ([eq("email", "EQ", "ANN@x.com")], [0]),
        ([eq("company_size", "GT", "10")], [1]),
        ([eq("company_size", "BETWEEN", "1", highValue="10")], [0]),
        ([eq("company_size", "LT", "50")], [0]),
        ([eq("company_size", "LTE", "50")], [0, 1]),
        ([eq("company_size", "GTE", "50")], [1]),
        ([eq("lifecyclestage", "HAS_PROPERTY")], [0]),
        ([eq("company_size", "NOT_HAS_PROPERTY")], [2, 3]),
        (
            [{"propertyName": "email", "operator": "IN", "values": ["bob@x.com", "dee@y.org"]}],
            [1, 3],
        ),
        ([{"propertyName": "email", "operator": "NOT_IN", "values": ["bob@x.com"]}], [0, 2, 3]),
        ([eq("email", "CONTAINS_TOKEN", "*@y.org")], [2, 3]),
        ([eq("company_size", "NEQ", "5"), eq("email", "CONTAINS_TOKEN", "*x.com")], [1]),
    ],
)
def test_filters(
    sb: Any, people: list[str], filters: list[dict[str, Any]], expected: list[int]
) -> None:
    result, status, _ = search(sb, filter_groups=[{"filters": filters}], limit=10)
    assert status == 200
    assert [r.id for r in result.results] == [people[i] for i in expected]
    assert result.total == len(expected)


def test_groups_are_or_and_one_sort_orders(sb: Any, people: list[str]) -> None:
    groups = [
        {"filters": [eq("email", "EQ", "ann@x.com")]},
        {"filters": [eq("email", "EQ", "dee@y.org")]},
    ]
    result, _, _ = search(
        sb, filter_groups=groups, sorts=[{"propertyName": "email", "direction": "DESCENDING"}]
    )
    assert [r.id for r in result.results] == [people[3], people[0]]


def test_paging_with_after_then_no_paging(sb: Any, people: list[str]) -> None:
    first, _, _ = search(sb, limit=3, properties=["email"])
    assert first.total == 4 and first.paging.next.after == "3"
    assert first.results[0].properties["email"] == "ann@x.com"
    second, _, _ = search(sb, limit=3, after=first.paging.next.after)
    assert [r.id for r in second.results] == [people[3]] and second.paging is None


@pytest.mark.parametrize(
    "request_body",
    [
        {"limit": 201},
        {"sorts": [{"propertyName": "email"}, {"propertyName": "firstname"}]},
        {"filter_groups": [{"filters": [eq("email", "HAS_PROPERTY")]}] * 6},
        {"filter_groups": [{"filters": [eq("email", "HAS_PROPERTY")] * 7}]},
        {"filter_groups": [{"filters": [eq("email", "HAS_PROPERTY")] * 5}] * 4},
    ],
)
def test_limits_answer_400(sb: Any, request_body: dict[str, Any]) -> None:
    with pytest.raises(ApiException) as caught:
        search(sb, **request_body)
    assert caught.value.status == 400


def test_search_lags_while_read_by_id_sees_the_record(sb: Any) -> None:
    client = hubspot_client(sb)
    created = client.crm.objects.batch_api.create("contacts", contact_batch(["fresh@x.com"]))
    fresh_id = created.results[0].id
    assert client.crm.contacts.basic_api.get_by_id(fresh_id).id == fresh_id
    result, _, _ = search(sb, filter_groups=[{"filters": [eq("email", "EQ", "fresh@x.com")]}])
    assert result.total == 0
    advance(sb, 11)
    result, _, _ = search(sb, filter_groups=[{"filters": [eq("email", "EQ", "fresh@x.com")]}])
    assert [r.id for r in result.results] == [fresh_id]


def test_search_lag_can_be_turned_off(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False, search_lag_seconds=0)
    client = hubspot_client(sb)
    created = client.crm.objects.batch_api.create("contacts", contact_batch(["now@x.com"]))
    result, _, _ = search(sb, filter_groups=[{"filters": [eq("email", "EQ", "now@x.com")]}])
    assert [r.id for r in result.results] == [created.results[0].id]


def test_paging_past_10000_results_is_400(sb: Any) -> None:
    admin(
        sb,
        "/hubspot/bulk",
        {"type": "contacts", "count": 10_050, "properties": {"firstname": "N{n}"}},
    )
    last_page, status, _ = search(sb, limit=100, after="9900")
    assert status == 200 and last_page.total == 10_050 and len(last_page.results) == 100
    with pytest.raises(ApiException) as caught:
        search(sb, limit=100, after="10000")
    assert caught.value.status == 400


def test_modified_time_range_sorted_with_id_tiebreak(sb: Any) -> None:
    admin(
        sb, "/hubspot/bulk", {"type": "contacts", "count": 5, "properties": {"firstname": "T{n}"}}
    )
    everything, _, _ = search(
        sb, sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    )
    stamp = everything.results[0].properties["lastmodifieddate"]
    second_id = everything.results[1].id
    groups = [
        {
            "filters": [
                eq("lastmodifieddate", "EQ", stamp),
                eq("hs_object_id", "GT", everything.results[0].id),
            ]
        },
        {"filters": [eq("lastmodifieddate", "GT", stamp)]},
    ]
    after_first, _, _ = search(
        sb,
        filter_groups=groups,
        sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
    )
    assert after_first.total == 4 and after_first.results[0].id == second_id


def plan(sb: Any, body: dict[str, Any]) -> str:
    from sandbox.hubspot.search import compile_search

    app = sb.hubspot
    query = compile_search(app.schema, "contacts", body, app.search_horizon_ms())
    sql = f"EXPLAIN QUERY PLAN SELECT id FROM objects WHERE {query.where} {query.order} LIMIT 200"
    return " | ".join(str(row[-1]) for row in app.store.query(sql, query.params))


ASCENDING = [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]


@pytest.mark.parametrize(
    "groups",
    [
        [
            {
                "filters": [
                    eq("lastmodifieddate", "GTE", "1700000000000"),
                    eq("lastmodifieddate", "LT", "1800000000000"),
                ]
            }
        ],
        [
            {
                "filters": [
                    eq("lastmodifieddate", "BETWEEN", "1700000000000", highValue="1800000000000")
                ]
            }
        ],
        [
            {
                "filters": [
                    eq("lastmodifieddate", "EQ", "1700000000000"),
                    eq("hs_object_id", "GT", "5"),
                ]
            },
            {"filters": [eq("lastmodifieddate", "GT", "1700000000000")]},
        ],
    ],
)
def test_cursor_searches_walk_the_modified_time_index(
    sb: Any, groups: list[dict[str, Any]]
) -> None:
    found = plan(sb, {"filterGroups": groups, "sorts": ASCENDING, "limit": 200})
    assert "INDEX objects_modified" in found and "modified_ms>" in found  # a range, not a walk
    assert "TEMP B-TREE" not in found


def test_email_search_uses_the_unique_index(sb: Any) -> None:
    found = plan(sb, {"filterGroups": [{"filters": [eq("email", "EQ", "a@x.com")]}]})
    assert "uniques" in found


@pytest.mark.parametrize("name", ["lifecyclestage", "hs_lead_status", "hubspot_owner_id"])
def test_hot_filter_search_uses_its_expression_index(sb: Any, name: str) -> None:
    found = plan(sb, {"filterGroups": [{"filters": [eq(name, "EQ", "x")]}]})
    assert f"objects_p_{name}" in found


def test_search_takes_a_single_sort(sb: Any, people: list[str]) -> None:
    one = [{"propertyName": "email", "direction": "DESCENDING"}]
    result, status, _ = search(sb, sorts=one)
    assert status == 200 and [r.id for r in result.results] == people[::-1]
    with pytest.raises(ApiException) as caught:
        search(sb, sorts=[*one, {"propertyName": "firstname", "direction": "ASCENDING"}])
    body = json.loads(caught.value.body)
    assert caught.value.status == 400 and body["category"] == "VALIDATION_ERROR"
    assert "one sort" in body["message"]
