"""The connector's edge without a server: error sorting, limit info, collection batching."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from integrations.base import TaskSpec
from integrations.errors import (
    AuthError,
    BudgetExhausted,
    CrmError,
    FatalError,
    RetryableError,
)
from integrations.sf_http import parse_limit_info, sort_error, sorted_call
from integrations.sf_writes import task_fields, write_collection


def sdk_error(kind: type, status: int, code: str, message: str) -> Exception:
    return kind(
        "https://x/services/data/v59.0/query",
        status,
        "query",
        [{"message": message, "errorCode": code}],
    )


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        (
            sdk_error(SalesforceMalformedRequest, 400, "MALFORMED_QUERY", "bad"),
            FatalError,
            "MALFORMED_QUERY",
        ),
        (
            sdk_error(
                SalesforceRefusedRequest,
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "TotalRequests Limit exceeded.",
            ),
            BudgetExhausted,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            sdk_error(
                SalesforceRefusedRequest,
                403,
                "REQUEST_LIMIT_EXCEEDED",
                "ConcurrentPerOrgLongTxn Limit exceeded.",
            ),
            RetryableError,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            sdk_error(SalesforceGeneralError, 503, "SERVER_UNAVAILABLE", "later"),
            RetryableError,
            "SERVER_UNAVAILABLE",
        ),
        (
            sdk_error(SalesforceGeneralError, 500, "UNKNOWN_EXCEPTION", "oops"),
            RetryableError,
            "UNKNOWN_EXCEPTION",
        ),
        (
            sdk_error(SalesforceExpiredSession, 401, "INVALID_SESSION_ID", "expired"),
            AuthError,
            "INVALID_SESSION_ID",
        ),
        (requests.ReadTimeout("read timed out"), RetryableError, "TIMEOUT"),
        (requests.ConnectionError("Connection refused"), RetryableError, "CONNECT_FAILED"),
        (
            requests.ConnectionError("Connection aborted. RemoteDisconnected"),
            RetryableError,
            "CONNECTION",
        ),
    ],
)
def test_errors_are_sorted_at_the_edge(error: Exception, kind: type, code: str) -> None:
    sorted_error = sort_error(error)
    assert type(sorted_error) is kind
    assert sorted_error is not None and sorted_error.code == code


def test_programming_errors_pass_through() -> None:
    assert sort_error(KeyError("x")) is None
    with pytest.raises(KeyError):
        empty: dict[str, int] = {}
        sorted_call(lambda: empty["x"], renewable=False, repeatable=True)


def test_session_errors_say_whether_the_flow_can_renew() -> None:
    error = sdk_error(SalesforceExpiredSession, 401, "INVALID_SESSION_ID", "expired")
    renewable = sort_error(error, renewable=True)
    assert isinstance(renewable, AuthError) and renewable.renewable


def fails(error: Exception) -> Any:
    def call() -> None:
        raise error

    return call


@pytest.mark.parametrize(
    ("error", "outcome_unknown"),
    [
        (requests.ReadTimeout("timed out"), True),
        (requests.ConnectionError("Connection aborted."), True),
        (sdk_error(SalesforceGeneralError, 500, "UNKNOWN_EXCEPTION", "oops"), True),
        (sdk_error(SalesforceGeneralError, 503, "SERVER_UNAVAILABLE", "later"), False),
        (requests.ConnectionError("Connection refused"), False),
        (
            sdk_error(
                SalesforceRefusedRequest, 403, "REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn"
            ),
            False,
        ),
    ],
)
def test_creates_are_repeated_only_when_surely_not_applied(
    error: Exception, outcome_unknown: bool
) -> None:
    with pytest.raises(CrmError) as caught:
        sorted_call(fails(error), renewable=False, repeatable=False)
    if outcome_unknown:
        assert isinstance(caught.value, FatalError) and caught.value.code == "OUTCOME_UNKNOWN"
    else:
        assert isinstance(caught.value, RetryableError)


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("api-usage=18/5000", (18, 5000)),
        ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample)", (25, 5000)),
        (None, None),
        ("garbage", None),
    ],
)
def test_limit_info(header: str | None, parsed: tuple[int, int] | None) -> None:
    assert parse_limit_info(header) == parsed


class FakeCollections:
    """Answers collection calls: records named in `lock` are locked `times` times."""

    def __init__(self, lock: dict[str, int] | None = None, fail_on_call: int | None = None) -> None:
        self.lock = dict(lock or {})
        self.sizes: list[int] = []
        self.fail_on_call = fail_on_call

    def __call__(self, chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.sizes.append(len(chunk))
        if self.fail_on_call == len(self.sizes):
            raise BudgetExhausted("salesforce", None, "RUN_BUDGET_CAP", "cap")
        answers = []
        for record in chunk:
            name = record["Name"]
            if self.lock.get(name, 0) > 0:
                self.lock[name] -= 1
                answers.append(
                    {
                        "success": False,
                        "errors": [{"statusCode": "UNABLE_TO_LOCK_ROW", "message": "locked"}],
                    }
                )
            else:
                answers.append({"id": f"id-{name}", "success": True, "errors": []})
        return answers


def records(n: int) -> list[dict[str, Any]]:
    return [{"attributes": {"type": "Account"}, "Name": str(i)} for i in range(n)]


def test_collections_are_full_and_results_in_input_order() -> None:
    send = FakeCollections()
    results = write_collection(send, records(450), created_default=True)
    assert send.sizes == [200, 200, 50]
    assert [r.id for r in results] == [f"id-{i}" for i in range(450)]
    assert all(r.created for r in results)


def test_only_locked_records_are_resubmitted_with_pauses() -> None:
    send = FakeCollections(lock={"3": 1, "250": 2})
    pauses: list[int] = []
    results = write_collection(send, records(300), created_default=False, pause=pauses.append)
    assert send.sizes == [200, 100, 2, 1]
    assert pauses == [0, 1]
    assert all(r.ok for r in results)


def test_partial_results_line_up_with_the_input_when_stopped() -> None:
    send = FakeCollections(fail_on_call=2)
    with pytest.raises(BudgetExhausted) as caught:
        write_collection(send, records(450), created_default=True)
    partial = caught.value.partial_results
    assert len(partial) == 450
    assert all(r is not None and r.ok for r in partial[:200]) and partial[200:] == [None] * 250


def test_task_fields_date_in_org_zone_and_exact_reminder() -> None:
    due = datetime(2026, 3, 11, 3, 30, 15, 250000, tzinfo=UTC)
    task = TaskSpec(
        "k1", "Call back", due, "Low", None, what_id="006000000000001AAA", status="deferred"
    )
    fields = task_fields(task, ZoneInfo("America/Chicago"))
    assert fields["ActivityDate"] == "2026-03-10"
    assert fields["ReminderDateTime"] == "2026-03-11T03:30:15.250+0000"
    assert (fields["Status"], fields["Priority"], fields["Crmops_Key__c"]) == (
        "Deferred",
        "Low",
        "k1",
    )
    assert "OwnerId" not in fields and "WhoId" not in fields
    assert fields["WhatId"] == "006000000000001AAA"
