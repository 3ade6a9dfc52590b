from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.base import TaskSpec, WriteRow
from integrations.errors import FatalError
from integrations.provisioning import SALESFORCE_FIELDS

from .sf_support import calls, connector, faults, load_leads, sandbox

CREATE = "composite.sobjects.create"
UPDATE = "composite.sobjects.update"
UPSERT = "composite.sobjects.upsert"


def lead(n: int, **extra: Any) -> WriteRow:
    return WriteRow(
        {"LastName": f"Writer {n}", "Company": "Acme", **extra.pop("fields", {})}, **extra
    )


def stored(sb: Any, obj: str = "Lead") -> int:
    return int(sb.salesforce.store.counts().get(obj, 0))


def provisioned(make_sandbox: Any, **options: Any) -> tuple[Any, Any]:
    sb = sandbox(make_sandbox, **options)
    sf = connector(sb)
    sf.provision(SALESFORCE_FIELDS, dry_run=False)
    sb.salesforce.counter.reset()
    return sb, sf


def test_1001_creates_take_exactly_ceil_1001_over_200_calls(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    sf = connector(sb)
    results = sf.create("Lead", [lead(n) for n in range(1001)])
    assert calls(sb) == calls(sb, CREATE) == math.ceil(1001 / 200) == 6
    assert all(r.ok and r.created for r in results)
    assert len({r.id for r in results}) == 1001
    by_id = {r.id: r.fields["LastName"] for r in sf.read_all("Lead", ["LastName"])}
    assert [by_id[r.id or ""] for r in results] == [f"Writer {n}" for n in range(1001)]
    assert sf.usage().calls["POST /composite/sobjects"] == 6


def test_1001_updates_take_six_calls(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 1001)
    sf = connector(sb)
    results = sf.update("Lead", [WriteRow({"Rating": "Hot"}, id=i) for i in ids])
    assert calls(sb, UPDATE) == calls(sb) == 6
    assert [r.id for r in results] == ids and all(r.ok for r in results)


def test_failing_records_do_not_stop_the_others(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    sf = connector(sb)
    rows = [lead(n) for n in range(10)]
    rows[3] = WriteRow({"LastName": "No company"})
    rows[7] = lead(7, fields={"Status": "Not a status"})
    results = sf.create("Lead", rows)
    assert [r.ok for r in results] == [n not in (3, 7) for n in range(10)]
    assert results[3].error_code == "REQUIRED_FIELD_MISSING"
    assert results[3].fields == ("Company",)
    assert results[7].error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert stored(sb) == 8
    assert calls(sb) == 1


def test_read_only_field_is_a_record_failure(make_sandbox: Any) -> None:
    sb, sf = provisioned(make_sandbox)
    (target,) = load_leads(sb, 1)
    (result,) = sf.update("Lead", [WriteRow({"Contact_Verified_At__c": None}, id=target)])
    assert result.error_code == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_keyed_create_whose_answer_is_lost_is_created_once(make_sandbox: Any) -> None:
    sb, _ = provisioned(make_sandbox)
    faults(sb, lost_answer_fraction=1.0)
    # The first retry wait turns the fault off: the repeat gets its answer.
    sf = connector(sb, sleep=lambda _: faults(sb, lost_answer_fraction=0.0))
    results = sf.create("Lead", [lead(n, key=f"hs-{n}") for n in range(3)])
    assert all(r.ok for r in results)
    assert calls(sb, UPSERT) == 2
    found = sf.find("Lead", "HubSpot_Id__c", ["hs-0", "hs-1", "hs-2"], ["HubSpot_Id__c"])
    assert sorted(r.fields["HubSpot_Id__c"] for r in found) == ["hs-0", "hs-1", "hs-2"]
    assert stored(sb) == 3


def test_unkeyed_create_whose_answer_is_lost_is_not_repeated(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    faults(sb, lost_answer_fraction=1.0)
    sf = connector(sb)
    with pytest.raises(FatalError, match="OUTCOME_UNKNOWN"):
        sf.create("Lead", [lead(0)])
    assert calls(sb, CREATE) == 1
    assert stored(sb) == 1


def test_503s_and_concurrency_limits_are_retried_and_the_job_completes(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 1001)
    faults(sb, seed=3, server_error_fraction=0.3, rate_limit_fraction=0.2)
    sf = connector(sb)
    results = sf.update("Lead", [WriteRow({"Rating": "Warm"}, id=i) for i in ids])
    assert all(r.ok for r in results)
    assert calls(sb) > 6
    assert sf.usage().total == calls(sb)
    assert {r.fields["Rating"] for r in sf.read_by_ids("Lead", ids[:5], ["Rating"])} == {"Warm"}


def test_unkeyed_creates_retry_a_503_that_was_never_applied(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    faults(sb, server_error_fraction=1.0)
    sf = connector(sb, sleep=lambda _: faults(sb, server_error_fraction=0.0))
    results = sf.create("Lead", [lead(n) for n in range(5)])
    assert all(r.ok for r in results)
    assert calls(sb, CREATE) == 2
    assert stored(sb) == 5


def test_hangs_past_the_client_timeout_are_retried(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 300)
    faults(sb, hang_fraction=1.0, hang_seconds=4.0)
    sf = connector(sb, timeout=1.5, sleep=lambda _: faults(sb, hang_fraction=0.0))
    results = sf.update("Lead", [WriteRow({"Rating": "Cold"}, id=i) for i in ids])
    assert all(r.ok for r in results)
    assert sf.usage().calls["PATCH /composite/sobjects"] == 3


def test_locked_rows_are_resubmitted_alone_until_written(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 400)
    faults(sb, seed=5, lock_row_fraction=0.05)
    sf = connector(sb)
    results = sf.update("Lead", [WriteRow({"Rating": "Hot"}, id=i) for i in ids])
    assert all(r.ok for r in results), [r for r in results if not r.ok][:3]
    rounds = calls(sb, UPDATE) - 2
    assert 1 <= rounds <= 3  # resubmitted records fit one call per round
    assert [r.id for r in results] == ids


def test_locked_rows_give_up_after_bounded_rounds(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 3)
    faults(sb, lock_row_fraction=1.0)
    sf = connector(sb)
    results = sf.update("Lead", [WriteRow({"Rating": "Hot"}, id=i) for i in ids])
    assert [r.error_code for r in results] == ["UNABLE_TO_LOCK_ROW"] * 3
    assert calls(sb, UPDATE) == 1 + 3


def test_tasks_are_upserted_by_key_with_date_and_exact_reminder(make_sandbox: Any) -> None:
    sb, _ = provisioned(make_sandbox)
    (who,) = load_leads(sb, 1)
    owner = sb.salesforce.org.integration_user_id
    sf = connector(sb, time_zone="America/Chicago")
    due = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # still the 10th in Chicago
    task = TaskSpec("first_response:abc:1", "Respond to new lead", due, "High", owner, who_id=who)
    (first,) = sf.write_tasks([task])
    assert first.ok and first.created
    (again,) = sf.write_tasks([TaskSpec(**{**task.__dict__, "status": "completed"})])
    assert again.ok and not again.created and again.id == first.id
    (row,) = sf.read_by_ids(
        "Task",
        [first.id or ""],
        ["ActivityDate", "ReminderDateTime", "IsReminderSet", "Status", "WhoId", "Crmops_Key__c"],
    )
    assert row.fields["ActivityDate"] == "2026-03-10"
    assert row.fields["ReminderDateTime"].startswith("2026-03-11T03:30:00")
    assert (row.fields["Status"], row.fields["WhoId"]) == ("Completed", who)
    assert row.fields["IsReminderSet"] is True
    assert calls(sb, UPSERT) == 2 and stored(sb, "Task") == 1
