"""Limits and faults on demand as a Salesforce client sees them (issue 4, Salesforce side)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from tests.sandbox.clients import salesforce_client, salesforce_raw
from tests.sandbox.salesforce_support import admin, sandbox, shared_sandbox

__all__ = ["sandbox", "shared_sandbox"]
V = "/services/data/v59.0"


def _error(caught: Any) -> dict[str, Any]:
    content: Any = caught.value.content
    return dict(content[0])


def test_daily_budget_exhausted_is_403_total_requests(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "limits", {"daily_limit": 2, "used": 0})
    sf.query("SELECT COUNT() FROM Lead")
    sf.query("SELECT COUNT() FROM Lead")
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.query("SELECT COUNT() FROM Lead")
    assert _error(caught) == {
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
        "message": "TotalRequests Limit exceeded.",
    }


def test_daily_budget_rolls_over_after_24_hours(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "limits", {"daily_limit": 1, "used": 0})
    sf.limits()
    with pytest.raises(SalesforceRefusedRequest):
        sf.limits()
    admin(sandbox, "clock", {"advance_seconds": 24 * 3600})
    assert sf.limits()["DailyApiRequests"]["Remaining"] == 0


def test_budget_fault_after_n_calls(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "faults", {"daily_budget_after_calls": 1})
    sf.limits()
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.limits()
    assert _error(caught)["message"] == "TotalRequests Limit exceeded."


def test_session_expires_after_n_calls_until_a_new_token(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "faults", {"session_expires_after_calls": 1})
    sf.limits()
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.limits()
    assert _error(caught)["errorCode"] == "INVALID_SESSION_ID"
    token = requests.post(
        sandbox.salesforce_url + "/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        verify=sandbox.ca_bundle,
    )
    fresh = salesforce_client(sandbox, session_id=token.json()["access_token"])
    assert fresh.limits()["DailyApiRequests"]["Max"] > 0


def test_rate_limit_fault_is_concurrent_long_txn_403(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "faults", {"rate_limit_fraction": 1.0})
    with pytest.raises(SalesforceRefusedRequest) as caught:
        sf.limits()
    assert _error(caught) == {
        "errorCode": "REQUEST_LIMIT_EXCEEDED",
        "message": "ConcurrentPerOrgLongTxn Limit exceeded.",
    }


def test_server_error_fault_is_503(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "faults", {"server_error_fraction": 1.0})
    with pytest.raises(SalesforceGeneralError) as caught:
        sf.limits()
    assert caught.value.status == 503
    assert _error(caught)["errorCode"] == "SERVER_UNAVAILABLE"


def test_concurrent_long_requests_are_refused(sandbox: Any) -> None:
    admin(sandbox, "limits", {"concurrent_limit": 1})
    admin(sandbox, "faults", {"latency_ms": 400})
    results: list[tuple[int, str]] = []
    start = threading.Barrier(4)

    def call() -> None:
        raw = salesforce_raw(sandbox)
        start.wait()
        answer = raw.get(f"{sandbox.salesforce_url}{V}/limits")
        body = answer.json()
        results.append(
            (answer.status_code, body[0]["message"] if answer.status_code == 403 else "")
        )

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    refused = [r for r in results if r[0] == 403]
    assert refused and all(m == "ConcurrentPerOrgLongTxn Limit exceeded." for _, m in refused)
    assert any(status == 200 for status, _ in results)


def test_latency_delays_answers(sandbox: Any) -> None:
    admin(sandbox, "faults", {"latency_ms": 1500})
    with pytest.raises(requests.exceptions.Timeout):
        salesforce_raw(sandbox).get(f"{sandbox.salesforce_url}{V}/limits", timeout=0.3)


def test_hang_outlasts_the_client_timeout(sandbox: Any) -> None:
    admin(sandbox, "faults", {"hang_fraction": 1.0, "hang_seconds": 1.5})
    with pytest.raises(requests.exceptions.Timeout):
        salesforce_raw(sandbox).get(f"{sandbox.salesforce_url}{V}/limits", timeout=0.3)


def test_lost_answer_still_applies_the_write(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "faults", {"lost_answer_fraction": 1.0})
    with pytest.raises(requests.exceptions.ConnectionError):
        salesforce_raw(sandbox).post(
            f"{sandbox.salesforce_url}{V}/sobjects/Lead/",
            json={"LastName": "Ghost", "Company": "X"},
        )
    admin(sandbox, "faults", {"lost_answer_fraction": 0.0})
    assert sf.query("SELECT LastName FROM Lead")["records"][0]["LastName"] == "Ghost"


@pytest.mark.parametrize("fault", ["lock_row_fraction", "duplicates_detected_fraction"])
def test_record_failures_inside_a_collection(sandbox: Any, fault: str) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "faults", {fault: 1.0})
    answer = sf.restful(
        "composite/sobjects",
        method="POST",
        json={
            "allOrNone": False,
            "records": [{"attributes": {"type": "Lead"}, "LastName": "L", "Company": "C"}],
        },
    )
    expected = {
        "lock_row_fraction": "UNABLE_TO_LOCK_ROW",
        "duplicates_detected_fraction": "DUPLICATES_DETECTED",
    }[fault]
    assert answer[0]["success"] is False
    assert answer[0]["errors"][0]["statusCode"] == expected


def test_concurrent_edit_right_after_a_read(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    lead_id = sf.Lead.create({"LastName": "A", "Company": "B"})["id"]
    admin(sandbox, "clock", {"advance_seconds": 2})
    admin(sandbox, "faults", {"concurrent_edit_fraction": 1.0})
    read = sf.Lead.get(lead_id)
    admin(sandbox, "faults", {"concurrent_edit_fraction": 0.0})
    now = sf.Lead.get(lead_id)
    assert now["SystemModstamp"] > read["SystemModstamp"]
    assert now["Title"] == "Changed by another user" and read["Title"] is None
