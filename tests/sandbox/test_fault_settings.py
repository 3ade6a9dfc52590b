"""Faults set at start the way `sandbox serve --fault K=V` sets them, kept per system, repeatable.

The admin endpoint path is covered fault by fault in test_salesforce_faults.py and
test_hubspot_limits.py; here every fault is set only through start options parsed
by `commands.sandbox.parse_faults`, and seen through raw HTTPS as a client sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from commands.sandbox import parse_faults
from sandbox.options import FaultOptions
from tests.sandbox.clients import hubspot_raw, salesforce_raw

V = "/services/data/v59.0"
CONTACTS = "/crm/v3/objects/contacts"
Check = Callable[[Any], None]


def served(make_sandbox: Any, *items: str) -> Any:
    """A sandbox started with faults given as `sandbox serve` takes them (`--fault K=V`)."""
    faults = FaultOptions()
    faults.update(parse_faults(list(items)))
    return make_sandbox(size=0, rate_limits=False, faults=faults)


def sf_get(sb: Any, path: str = "/limits", timeout: float = 10) -> requests.Response:
    return salesforce_raw(sb).get(f"{sb.salesforce_url}{V}{path}", timeout=timeout)


def hs_get(sb: Any, path: str = CONTACTS, timeout: float = 10) -> requests.Response:
    return hubspot_raw(sb).get(sb.hubspot_url + path, timeout=timeout)


def sf_admin(sb: Any, path: str, body: dict[str, Any]) -> Any:
    answer = salesforce_raw(sb).post(f"{sb.salesforce_url}/__admin/{path}", json=body)
    answer.raise_for_status()
    return answer.json()


def hs_admin(sb: Any, path: str, body: dict[str, Any]) -> Any:
    answer = hubspot_raw(sb).post(f"{sb.hubspot_url}/__admin/{path}", json=body)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def sf_code(answer: requests.Response) -> tuple[int, str]:
    return answer.status_code, answer.json()[0]["message"]


def _both_time_out(sb: Any) -> None:
    with pytest.raises(requests.exceptions.Timeout):
        sf_get(sb, timeout=0.2)
    with pytest.raises(requests.exceptions.Timeout):
        hs_get(sb, timeout=0.2)


def _rate_limited(sb: Any) -> None:
    assert sf_code(sf_get(sb)) == (403, "ConcurrentPerOrgLongTxn Limit exceeded.")
    refused = hs_get(sb)
    assert refused.status_code == 429 and refused.json()["policyName"] == "TEN_SECONDLY_ROLLING"


def _server_errors(sb: Any) -> None:
    assert sf_get(sb).status_code == 503
    assert hs_get(sb).status_code in (500, 502, 503)


def _answers_lost_writes_kept(sb: Any) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        salesforce_raw(sb).post(
            f"{sb.salesforce_url}{V}/sobjects/Lead/", json={"LastName": "Ghost", "Company": "X"}
        )
    with pytest.raises(requests.exceptions.ConnectionError):
        hubspot_raw(sb).post(sb.hubspot_url + CONTACTS, json={"properties": {"email": "g@x.com"}})
    assert sb.salesforce.describe()["Lead"] == 1 and sb.hubspot.describe()["contacts"] == 1


def _record_failure(code: str) -> Check:
    def check(sb: Any) -> None:
        answer = salesforce_raw(sb).post(
            f"{sb.salesforce_url}{V}/composite/sobjects",
            json={"records": [{"attributes": {"type": "Lead"}, "LastName": "L", "Company": "C"}]},
        )
        assert answer.status_code == 200
        assert answer.json()[0]["errors"][0]["statusCode"] == code

    return check


def _batch_rejected(sb: Any) -> None:
    answer = hubspot_raw(sb).post(
        f"{sb.hubspot_url}{CONTACTS}/batch/create",
        json={"inputs": [{"properties": {"email": "b@x.com"}}]},
    )
    assert answer.status_code == 500 and sb.hubspot.describe()["contacts"] == 0


def _sessions_expired(sb: Any) -> None:
    assert sf_get(sb).json()[0]["errorCode"] == "INVALID_SESSION_ID"
    expired = hs_get(sb)
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"


def _budgets_spent(sb: Any) -> None:
    assert sf_code(sf_get(sb)) == (403, "TotalRequests Limit exceeded.")
    refused = hs_get(sb)
    assert refused.status_code == 429 and refused.json()["policyName"] == "DAILY"


def _edited_after_read(sb: Any) -> None:
    made = salesforce_raw(sb).post(
        f"{sb.salesforce_url}{V}/sobjects/Lead/", json={"LastName": "A", "Company": "B"}
    )
    lead_id = made.json()["id"]
    seen, now = (sf_get(sb, f"/sobjects/Lead/{lead_id}").json() for _ in range(2))
    assert seen["Title"] is None and now["Title"] == "Changed by another user"
    contact = hubspot_raw(sb).post(
        sb.hubspot_url + CONTACTS, json={"properties": {"email": "e@x.com", "jobtitle": "Chef"}}
    )
    path = f"{CONTACTS}/{contact.json()['id']}?properties=jobtitle"
    seen, now = (hs_get(sb, path).json()["properties"] for _ in range(2))
    assert seen["jobtitle"] == "Chef" and now["jobtitle"] != "Chef"


def _analytics_touch(sb: Any) -> None:
    contact = hubspot_raw(sb).post(
        sb.hubspot_url + CONTACTS, json={"properties": {"email": "t@x.com", "firstname": "Ida"}}
    )
    stamp = contact.json()["properties"]["lastmodifieddate"]
    hs_admin(sb, "clock", {"advance_seconds": 5})
    hs_get(sb, "/account-info/v3/details")  # any call: HubSpot touches contacts after it
    path = f"{CONTACTS}/{contact.json()['id']}?properties=firstname"
    after = hs_get(sb, path).json()["properties"]
    assert after["lastmodifieddate"] > stamp and after["firstname"] == "Ida"


FAULTS: dict[str, tuple[list[str], Check]] = {
    "latency": (["latency_ms=1500"], _both_time_out),
    "rate_limit": (["rate_limit_fraction=1"], _rate_limited),
    "server_error": (["server_error_fraction=1"], _server_errors),
    "hang": (["hang_fraction=1", "hang_seconds=1"], _both_time_out),
    "lost_answer": (["lost_answer_fraction=1"], _answers_lost_writes_kept),
    "lock_row": (["lock_row_fraction=1"], _record_failure("UNABLE_TO_LOCK_ROW")),
    "duplicates": (["duplicates_detected_fraction=1"], _record_failure("DUPLICATES_DETECTED")),
    "batch_reject": (["batch_reject_fraction=1"], _batch_rejected),
    "session_expiry": (["session_expires_after_calls=0"], _sessions_expired),
    "daily_budget": (["daily_budget_after_calls=0"], _budgets_spent),
    "concurrent_edit": (["concurrent_edit_fraction=1"], _edited_after_read),
    "analytics_touch": (["analytics_touch_per_call=1"], _analytics_touch),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_fault_set_by_serve_option(make_sandbox: Any, name: str) -> None:
    items, check = FAULTS[name]
    check(served(make_sandbox, *items))


def test_every_fault_has_a_serve_option_test() -> None:
    covered = {item.partition("=")[0] for items, _ in FAULTS.values() for item in items}
    assert covered | {"seed"} == set(FaultOptions.__dataclass_fields__)


def test_faults_set_on_one_system_leave_the_other_alone(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False)
    sf_admin(sb, "faults", {"session_expires_after_calls": 0})
    assert sf_get(sb).status_code == 401
    assert hs_get(sb).status_code == 200
    hs_admin(sb, "faults", {"server_error_fraction": 1.0})
    assert hs_get(sb).status_code >= 500
    sf_admin(sb, "faults", {"session_expires_after_calls": None})
    assert sf_get(sb).status_code == 200


def _statuses(sb: Any, system: str) -> list[int]:
    """Ten calls on one connection (a handshake per call would cost more than the calls)."""
    if system == "salesforce":
        session, url = salesforce_raw(sb), f"{sb.salesforce_url}{V}/limits"
    else:
        session, url = hubspot_raw(sb), sb.hubspot_url + CONTACTS
    return [session.get(url).status_code for _ in range(10)]


@pytest.mark.parametrize("system", ["salesforce", "hubspot"])
def test_same_seed_same_faults(make_sandbox: Any, system: str) -> None:
    flaky = {"seed": 5, "server_error_fraction": 0.5}
    sb = served(make_sandbox, "seed=5", "server_error_fraction=0.5")
    at_start = _statuses(sb, system)
    assert len(set(at_start)) > 1
    set_faults = sf_admin if system == "salesforce" else hs_admin
    set_faults(sb, "faults", flaky)
    assert _statuses(sb, system) == at_start
    set_faults(sb, "faults", {**flaky, "seed": 6})
    assert _statuses(sb, system) != at_start
