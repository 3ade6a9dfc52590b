"""HubSpot failures through the real SDK: lost answers, 429s, 5xx, hangs, fatal errors, budgets."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.accounting import BudgetGuard
from integrations.base import WriteRow
from integrations.errors import AuthError, BudgetExhausted, FatalError, RetryableError
from integrations.hubspot_http import sort_exception
from integrations.provisioning import HUBSPOT_PROPERTIES
from tests.connectors.hubspot_support import Sleeps, bulk, calls, connector, live


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=10)


def faults(sb: Any, **values: Any) -> None:
    sb.hubspot.faults.configure(values)


def test_a_keyed_create_whose_answer_is_lost_is_retried_and_creates_once(sb: Any) -> None:
    hs = connector(sb, sleep=lambda _s: faults(sb, lost_answer_fraction=0.0))
    hs.provision(HUBSPOT_PROPERTIES, dry_run=False)
    faults(sb, lost_answer_fraction=1.0)  # applied, answer dropped; off again before the retry
    results = hs.create("deals", [WriteRow({"dealname": "Roof"}, key="006SF000000000001")])
    assert results[0].ok and results[0].id
    assert calls(sb, "objects.batch.upsert") == 2
    assert live(sb, "deals", "salesforce_id", "006SF000000000001") == 1


def test_an_unkeyed_create_whose_answer_is_lost_is_not_resent(sb: Any) -> None:
    hs = connector(sb)
    faults(sb, lost_answer_fraction=1.0)
    results = hs.create("deals", [WriteRow({"dealname": "Gutter"})])
    assert results[0].error_code == "OUTCOME_UNKNOWN"
    assert calls(sb, "objects.batch.create") == 1


def test_429s_503s_and_hangs_are_retried_and_the_job_completes(sb: Any) -> None:
    sleeps = Sleeps()
    hs = connector(sb, sleep=sleeps, timeout_seconds=0.5)
    hs.provision(HUBSPOT_PROPERTIES, dry_run=False)
    faults(
        sb,
        seed=3,
        rate_limit_fraction=0.2,
        server_error_fraction=0.2,
        hang_fraction=0.1,
        hang_seconds=1.5,
    )
    keyed = [WriteRow({"name": f"Co {i}"}, key=f"001SF{i:012d}") for i in range(500)]
    results = hs.create("companies", keyed)
    faults(sb, rate_limit_fraction=0.0, server_error_fraction=0.0, hang_fraction=0.0)
    assert all(r.ok for r in results)
    assert sb.hubspot.describe()["companies"] >= 500
    assert live(sb, "companies", "salesforce_id", "001SF000000000499") == 1
    # Every attempt was counted once, by us and by the sandbox alike.
    assert hs.usage().total == calls(sb)
    assert sleeps.waits  # there were retries
    assert hs.usage().calls["POST /crm/v3/objects/companies/batch/upsert"] > 5


def test_reads_survive_faults_too(sb: Any) -> None:
    bulk(sb, "contacts", 700, age_seconds=3600, email="f{n}@example.com")
    hs = connector(sb, timeout_seconds=0.5)
    faults(
        sb,
        seed=5,
        rate_limit_fraction=0.2,
        server_error_fraction=0.2,
        hang_fraction=0.05,
        hang_seconds=1.5,
    )
    records = list(hs.read_all("contacts", ["email"]))
    assert len({r.id for r in records}) == sb.hubspot.describe()["contacts"]


def test_a_fatal_error_stops_with_a_clear_message_and_no_secret(sb: Any) -> None:
    hs = connector(sb, token="pat-na1-00000000-wrong")
    with pytest.raises(AuthError) as caught:
        list(hs.read_all("contacts", ["email"]))
    text = str(caught.value)
    assert "401" in text and "CRMOPS_HUBSPOT__ACCESS_TOKEN" in text
    assert "pat-na1" not in text and sb.hubspot_token not in text
    assert calls(sb) == 1  # not retried


def test_a_not_found_is_fatal_and_not_retried(sb: Any) -> None:
    hs = connector(sb)
    api = hs.transport.sdk.crm.objects.basic_api
    with pytest.raises(FatalError) as caught:
        hs.transport.call(
            "GET /crm/v3/objects/contacts/{id}",
            lambda **kw: api.get_by_id_with_http_info("contacts", "404404404", **kw),
        )
    assert caught.value.status == 404 and "not found" in str(caught.value).lower()
    assert calls(sb) == 1


def test_the_run_budget_cap_stops_cleanly(sb: Any) -> None:
    bulk(sb, "contacts", 1_000, age_seconds=60, email="b{n}@example.com")
    hs = connector(sb, guard=BudgetGuard(limit_calls=3))
    seen: list[Any] = []
    with pytest.raises(BudgetExhausted) as caught:
        seen.extend(hs.read_all("contacts", ["email"]))
    usage = hs.usage()
    assert usage.total == calls(sb) == 3
    assert len(seen) == 100 * usage.calls["GET /crm/v3/objects/contacts"]
    assert caught.value.code == "RUN_BUDGET_CAP"


def test_the_daily_limit_is_budget_exhausted_not_retried(sb: Any) -> None:
    hs = connector(sb)
    faults(sb, daily_budget_after_calls=2)
    hs.describe("contacts")
    hs.describe("deals")
    with pytest.raises(BudgetExhausted) as caught:
        hs.describe("tasks")
    assert "daily" in str(caught.value).lower()
    assert calls(sb) == 3


def test_the_rate_limit_headers_reach_usage_and_share_caps_the_run(sb: Any) -> None:
    hs = connector(sb, budget_share=0.5)
    hs.describe("contacts")
    usage = hs.usage()
    assert usage.limit == sb.options.hubspot_daily_limit
    assert usage.remaining is not None and usage.limit is not None
    assert usage.remaining < usage.limit
    assert hs.meter.guard.limit_calls == 1 + usage.remaining // 2


def test_sdk_exceptions_of_every_sub_package_are_sorted_by_status() -> None:
    from hubspot.crm.associations.v4.exceptions import ApiException as AssocError
    from hubspot.crm.objects.exceptions import ApiException as ObjectsError
    from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError

    busy = ObjectsError(status=503, reason="busy")
    busy.body = '{"message": "busy", "category": "INTERNAL_ERROR"}'
    assert isinstance(sort_exception(busy), RetryableError)
    limited = AssocError(status=429, reason="slow down")
    limited.body = '{"message": "daily", "errorType": "RATE_LIMIT", "policyName": "DAILY"}'
    assert isinstance(sort_exception(limited), BudgetExhausted)
    limited.body = '{"message": "ten", "errorType": "RATE_LIMIT"}'
    limited.headers = {"Retry-After": "3"}
    retry = sort_exception(limited)
    assert isinstance(retry, RetryableError) and retry.retry_after == 3.0
    timeout = ReadTimeoutError(None, "/x", "read timed out")  # type: ignore[arg-type]
    assert isinstance(sort_exception(timeout), RetryableError)
    refused = MaxRetryError(None, "/x", NewConnectionError(None, "refused"))  # type: ignore[arg-type]
    sorted_refused = sort_exception(refused)
    assert isinstance(sorted_refused, RetryableError) and sorted_refused.code == "CONNECT_FAILED"
    assert sort_exception(ValueError("bug")) is None


def test_a_write_stopped_by_the_cap_reports_every_record_it_wrote(sb: Any) -> None:
    """Batches run side by side: a stop still carries each answered batch, in input slots."""
    hs = connector(sb, guard=BudgetGuard(limit_calls=3), concurrency=4)
    before = sb.hubspot.describe()["contacts"]
    rows = [WriteRow({"email": f"cap{i}@example.com"}) for i in range(1_000)]
    with pytest.raises(BudgetExhausted) as caught:
        hs.create("contacts", rows)
    partial = caught.value.partial_results
    assert len(partial) == 1_000 and calls(sb) == 3
    for start in range(0, 1_000, 100):  # a batch is answered whole or not at all
        assert len({r is None for r in partial[start : start + 100]}) == 1
    written = {i: r for i, r in enumerate(partial) if r is not None}
    assert len(written) == 300 and all(r.ok and r.created and r.id for r in written.values())
    assert sb.hubspot.describe()["contacts"] == before + 300
    ids = [r.id or "" for r in written.values()]
    found = connector(sb).read_by_ids("contacts", ids, ["email"])
    emails = {r.id: r.fields["email"] for r in found}
    assert all(emails[r.id] == rows[i].fields["email"] for i, r in written.items())


def test_an_update_stopped_part_way_keeps_its_answers_in_input_order(sb: Any) -> None:
    people = [WriteRow({"email": f"u{i}@example.com"}) for i in range(250)]
    made = connector(sb).create("contacts", people)
    hs = connector(sb, guard=BudgetGuard(limit_calls=1), concurrency=1)
    rows = [WriteRow({"firstname": "Bad"}, id="not-an-id")]
    rows += [WriteRow({"firstname": f"U{i}"}, id=r.id) for i, r in enumerate(made)]
    with pytest.raises(BudgetExhausted) as caught:
        hs.update("contacts", rows)
    partial = caught.value.partial_results
    assert len(partial) == 251
    assert partial[0] is not None and partial[0].error_code == "INVALID_ID"
    assert [r.id for r in partial[1:101] if r is not None and r.ok] == [r.id for r in made[:100]]
    assert partial[101:] == [None] * 150


def test_a_429_waits_what_retry_after_asks_then_completes(sb: Any) -> None:
    """HubSpot's 429 carries Retry-After: 1; the policy waits that (plus a little jitter)."""
    from integrations.retry import RETRY_AFTER_JITTER

    sleeps = Sleeps()

    def wait(seconds: float) -> None:
        sleeps(seconds)
        faults(sb, rate_limit_fraction=0.0)

    hs = connector(sb, sleep=wait)
    faults(sb, rate_limit_fraction=1.0)
    (made,) = hs.create("contacts", [WriteRow({"email": "patient@example.com"})])
    assert made.ok and calls(sb, "objects.batch.create") == 2
    assert len(sleeps.waits) == 1 and 1.0 <= sleeps.waits[0] <= 1.0 + RETRY_AFTER_JITTER


def test_open_tasks_whose_upsert_answer_was_lost_are_still_linked(sb: Any) -> None:
    from datetime import UTC, datetime

    from integrations.base import TaskSpec
    from sandbox.hubspot.associations import linked

    hs = connector(sb, sleep=lambda _s: faults(sb, lost_answer_fraction=0.0))
    hs.provision(HUBSPOT_PROPERTIES, dry_run=False)
    person = hs.create("contacts", [WriteRow({"email": "linked@example.com"})])[0]
    due = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    faults(sb, lost_answer_fraction=1.0)  # the upsert lands, its answer is dropped, resent
    spec = TaskSpec("k-linked", "Call back", due, "High", None, who_id=person.id)
    result = hs.write_tasks([spec])[0]
    assert result.ok and result.id and not result.created  # the resend saw an existing task
    assert int(person.id or 0) in linked(sb.hubspot.store, "tasks", int(result.id), "contacts")
