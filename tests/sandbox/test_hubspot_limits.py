"""HubSpot stand-in: rate limits and their headers, and faults on demand."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import urllib3
from hubspot.crm.objects import PublicObjectSearchRequest
from hubspot.crm.objects.exceptions import ApiException

from tests.sandbox.clients import hubspot_client, hubspot_raw
from tests.sandbox.hubspot_helpers import admin, advance, contact_batch, new_contact

CONTACTS = "/crm/v3/objects/contacts"
LIMIT_HEADERS = (
    "X-HubSpot-RateLimit-Max",
    "X-HubSpot-RateLimit-Remaining",
    "X-HubSpot-RateLimit-Interval-Milliseconds",
    "X-HubSpot-RateLimit-Daily",
    "X-HubSpot-RateLimit-Daily-Remaining",
)


def get(sb: Any, path: str = CONTACTS, timeout: float = 10) -> requests.Response:
    return hubspot_raw(sb).get(sb.hubspot_url + path, timeout=timeout)


def test_limit_headers_on_normal_answers(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, hubspot_calls_per_10s=7, hubspot_daily_limit=500)
    first, second = get(sb), get(sb)
    assert all(name in first.headers for name in LIMIT_HEADERS)
    assert first.headers["X-HubSpot-RateLimit-Max"] == "7"
    assert first.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert (
        int(second.headers["X-HubSpot-RateLimit-Remaining"])
        == int(first.headers["X-HubSpot-RateLimit-Remaining"]) - 1
    )
    assert second.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "498"


def test_rolling_window_answers_429_then_recovers(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, hubspot_calls_per_10s=3)
    assert [get(sb).status_code for _ in range(3)] == [200, 200, 200]
    refused = get(sb)
    assert refused.status_code == 429
    body = refused.json()
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    advance(sb, 10)
    assert get(sb).status_code == 200


def test_search_has_its_own_lower_rate(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, hubspot_search_per_second=2)
    client = hubspot_client(sb)
    request = PublicObjectSearchRequest(limit=1)
    client.crm.contacts.search_api.do_search(request)
    _, _, headers = client.crm.contacts.search_api.do_search_with_http_info(request)
    assert "X-HubSpot-RateLimit-Remaining" not in headers
    with pytest.raises(ApiException) as caught:
        client.crm.objects.search_api.do_search("contacts", request)
    assert caught.value.status == 429 and '"policyName":"SECONDLY"' in caught.value.body
    assert get(sb).status_code == 200
    advance(sb, 1)
    assert client.crm.contacts.search_api.do_search(request).total == 0


def test_daily_budget(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, hubspot_daily_limit=2)
    assert [get(sb).status_code for _ in range(2)] == [200, 200]
    refused = get(sb)
    assert refused.status_code == 429 and refused.json()["policyName"] == "DAILY"


def test_daily_budget_starts_again_after_midnight(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, hubspot_daily_limit=1)
    assert get(sb).status_code == 200
    refused = get(sb)
    assert refused.status_code == 429
    advance(sb, int(refused.headers["Retry-After"]) + 1)
    assert get(sb).status_code == 200


def test_rate_limits_can_be_turned_off(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False, hubspot_calls_per_10s=1)
    assert [get(sb).status_code for _ in range(3)] == [200, 200, 200]
    assert "X-HubSpot-RateLimit-Max" not in get(sb).headers


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def test_fault_rate_limit_fraction(sb: Any) -> None:
    admin(sb, "/faults", {"rate_limit_fraction": 1.0})
    refused = get(sb)
    assert refused.status_code == 429 and refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"


def test_fault_server_errors(sb: Any) -> None:
    admin(sb, "/faults", {"server_error_fraction": 1.0, "seed": 3})
    statuses = {get(sb).status_code for _ in range(12)}
    assert statuses <= {500, 502, 503} and len(statuses) > 1


def test_fault_hang_outlasts_client_timeout(sb: Any) -> None:
    admin(sb, "/faults", {"hang_fraction": 1.0, "hang_seconds": 1.0})
    with pytest.raises(requests.exceptions.Timeout):
        get(sb, timeout=0.2)


def test_fault_lost_answer_applies_the_write(sb: Any) -> None:
    client = hubspot_client(sb)
    admin(sb, "/faults", {"lost_answer_fraction": 1.0})
    with pytest.raises(urllib3.exceptions.HTTPError):  # the connection closed, no answer
        client.crm.objects.batch_api.create("contacts", contact_batch(["lost@x.com"]))
    admin(sb, "/faults", {"lost_answer_fraction": 0.0})
    found = client.crm.contacts.basic_api.get_by_id("lost@x.com", id_property="email")
    assert found.properties["email"] == "lost@x.com"


def test_fault_batch_rejected_writes_nothing(sb: Any) -> None:
    client = hubspot_client(sb)
    admin(sb, "/faults", {"batch_reject_fraction": 1.0})
    with pytest.raises(ApiException) as caught:
        client.crm.objects.batch_api.create("contacts", contact_batch(["r@x.com"]))
    assert caught.value.status == 500
    admin(sb, "/faults", {"batch_reject_fraction": 0.0})
    assert client.crm.contacts.basic_api.get_page().results == []


def test_fault_daily_budget_after_calls(sb: Any) -> None:
    admin(sb, "/faults", {"daily_budget_after_calls": 2})
    statuses = [get(sb).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert get(sb).json()["policyName"] == "DAILY"


def test_fault_concurrent_edit_after_read(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "busy@x.com", jobtitle="Owner")
    advance(sb, 5)
    admin(sb, "/faults", {"concurrent_edit_fraction": 1.0})
    seen = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["jobtitle"])
    admin(sb, "/faults", {"concurrent_edit_fraction": 0.0})
    now = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["jobtitle"])
    assert seen.properties["jobtitle"] == "Owner" and now.properties["jobtitle"] != "Owner"
    assert now.properties["lastmodifieddate"] > seen.properties["lastmodifieddate"]


def test_fault_analytics_touch_moves_modified_time_only(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "seen@x.com", firstname="Ida")
    before = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["firstname"])
    advance(sb, 5)
    admin(sb, "/faults", {"analytics_touch_per_call": 1})
    get(sb, "/account-info/v3/details")
    admin(sb, "/faults", {"analytics_touch_per_call": 0})
    after = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["firstname"])
    assert after.properties["lastmodifieddate"] > before.properties["lastmodifieddate"]
    assert after.properties["firstname"] == "Ida"


def test_fault_session_expired(sb: Any) -> None:
    admin(sb, "/faults", {"session_expires_after_calls": 1})
    assert get(sb).status_code == 200
    expired = get(sb)
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_admin_edit_as_another_user_and_touch(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "other@x.com")
    admin(
        sb,
        "/hubspot/edit",
        {"type": "contacts", "id": contact_id, "properties": {"firstname": "Else"}},
    )
    touched = admin(sb, "/hubspot/touch", {"ids": [contact_id]}).json()["touched"]
    got = client.crm.contacts.basic_api.get_by_id(
        contact_id, properties=["firstname", "hs_analytics_num_visits"]
    )
    assert touched == [contact_id]
    assert (
        got.properties["firstname"] == "Else" and got.properties["hs_analytics_num_visits"] == "1"
    )


def test_admin_reset_restores_the_seed(make_sandbox: Any) -> None:
    sb = make_sandbox(size=12, rate_limits=False)
    seeded = sb.hubspot.describe()
    raw = hubspot_raw(sb)
    new_contact(hubspot_client(sb), "temp@x.com")
    prop = {
        "name": "crmops_score",
        "label": "s",
        "type": "number",
        "fieldType": "number",
        "groupName": "g",
    }
    assert raw.post(f"{sb.hubspot_url}/crm/v3/properties/contacts", json=prop).status_code == 201
    assert raw.post(f"{sb.hubspot_url}/__admin/reset").status_code == 204
    assert sb.hubspot.describe() == seeded
    assert raw.get(f"{sb.hubspot_url}/crm/v3/properties/contacts/crmops_score").status_code == 404


def test_fault_latency_delays_answers(sb: Any) -> None:
    admin(sb, "/faults", {"latency_ms": 1500})
    with pytest.raises(requests.exceptions.Timeout):
        get(sb, timeout=0.2)
