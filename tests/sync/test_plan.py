"""The plan: JSON round-trip with its now, versions and expiry; rendering; summary counts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from integrations.base import Cursor, TaskSpec
from sync.diff import FieldChange, PairDiff
from sync.identity import LinkMove, ReviewItem
from sync.plan import (
    PLAN_FORMAT,
    Association,
    Create,
    Link,
    Plan,
    PlanFormatError,
    RecordRef,
    TaskWrite,
    Update,
    new_plan,
    updates_from_diff,
)

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


def sample() -> Plan:
    plan = new_plan(NOW, timedelta(minutes=30))
    plan.updates.append(
        Update(
            "hubspot",
            "contacts",
            "901",
            datetime(2026, 3, 10, 17, 59, 12, 345000, tzinfo=UTC),
            (
                FieldChange(
                    "title", "hubspot", "VP", "CEO", "two_way", "changed on salesforce only"
                ),
                FieldChange(
                    "email_opt_out", "hubspot", False, True, "most_restrictive", "opt-out", True
                ),
                FieldChange(
                    "appointment_at", "hubspot", None, NOW + timedelta(days=1), "two_way", "x"
                ),
            ),
            stable_id="S1",
        )
    )
    plan.updates.append(
        Update(
            "salesforce",
            "Opportunity",
            "006A",
            None,
            (
                FieldChange(
                    "close_date", "salesforce", None, date(2026, 4, 1), "salesforce_wins", "y"
                ),
            ),
        )
    )
    plan.creates.append(
        Create(
            "salesforce", "Lead", "crmops:S2", {"email": "b@x.com", "employees": 12}, "S2", "902"
        )
    )
    plan.links.append(Link("Lead", "00Q1", "contacts", "903", "email"))
    plan.moves.append(LinkMove("S3", "salesforce", "00Q9", "0039", "converted"))
    plan.associations.append(Association("hubspot", "contacts", "901", "companies", "5001"))
    plan.associations.append(
        Association("hubspot", "deals", "", "companies", "", from_source="006A", to_source="001B")
    )
    plan.review.append(
        ReviewItem(
            "duplicate",
            "2 salesforce records share email",
            (("salesforce", "00Q4"), ("salesforce", "0034")),
            {"email": "d@x.com"},
        )
    )
    task = TaskSpec(
        "first_response:S1:once", "Respond to new lead", NOW, "High", "101", description="d"
    )
    plan.tasks.append(TaskWrite("hubspot", task, "S1", "first_response"))
    return plan


def test_json_round_trip_keeps_every_item_and_type() -> None:
    plan = sample()
    again = Plan.from_json(plan.to_json())
    assert again == plan
    assert isinstance(again.updates[0].changes[2].new, datetime)
    assert isinstance(again.updates[1].changes[0].new, date)
    assert again.updates[0].version == datetime(2026, 3, 10, 17, 59, 12, 345000, tzinfo=UTC)
    assert again.tasks[0].task.due == NOW


def test_saved_plan_carries_its_now_expiry_and_format() -> None:
    body = json.loads(sample().to_json())
    assert body["format"] == PLAN_FORMAT
    assert body["now"] == "2026-03-10T18:00:00+00:00"
    assert body["expires_at"] == "2026-03-10T18:30:00+00:00"


def test_expiry() -> None:
    plan = sample()
    assert not plan.expired(NOW + timedelta(minutes=29))
    assert plan.expired(NOW + timedelta(minutes=30))


def test_a_plan_needs_an_aware_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        new_plan(datetime(2026, 3, 10, 18, 0))


@pytest.mark.parametrize(
    "text", ['{"format": 99}', "[]", "not json", '{"format": 1, "now": "2026-03-10T18:00:00"}']
)
def test_unknown_formats_are_refused(text: str) -> None:
    with pytest.raises(PlanFormatError):
        Plan.from_json(text)


def test_rendering_shows_record_field_old_new_and_policy() -> None:
    lines = sample().lines()
    assert "hubspot contacts 901  title  'VP' -> 'CEO'  (two_way)" in lines
    assert "hubspot contacts 901  email_opt_out  False -> True  (most_restrictive)" in lines
    assert (
        "salesforce Opportunity 006A  close_date  (blank) -> 2026-04-01  (salesforce_wins)" in lines
    )
    assert "link Lead 00Q1 <-> contacts 903 (email)" in lines
    assert "move salesforce 00Q9 -> 0039 (converted)" in lines
    assert "associate hubspot deals new from 006A -> companies new from 001B" in lines
    assert any(line.startswith("review duplicate: ") for line in lines)
    assert "task hubspot first_response:S1:once: Respond to new lead" in lines


def test_rich_table_has_a_row_per_change_and_create() -> None:
    table = sample().table()
    assert [c.header for c in table.columns] == ["record", "field", "old -> new", "policy"]
    assert table.row_count == 5


def test_summary_counts() -> None:
    summary = sample().summary()
    assert summary["updates"] == 2
    assert summary["field_changes.hubspot"] == 3
    assert summary["field_changes.salesforce"] == 1
    assert summary["conflicts"] == 1
    assert summary["creates.salesforce"] == 1
    assert summary["review.duplicate"] == 1
    assert (summary["links"], summary["moves"], summary["associations"], summary["tasks"]) == (
        1,
        1,
        2,
        1,
    )


def test_updates_from_a_pair_diff_carry_each_sides_record_and_version() -> None:
    diff = PairDiff(
        changes=[
            FieldChange("title", "hubspot", "VP", "CEO", "two_way", "r"),
            FieldChange("phone", "hubspot", None, "555", "two_way", "r"),
        ]
    )
    sf, hs = RecordRef("Lead", "00Q1", NOW), RecordRef("contacts", "901", NOW - timedelta(hours=1))
    (update,) = updates_from_diff(diff, sf, hs, "S1")
    assert (update.system, update.object, update.record_id) == ("hubspot", "contacts", "901")
    assert update.version == NOW - timedelta(hours=1)
    assert [c.field for c in update.changes] == ["title", "phone"]
    assert update.stable_id == "S1"


def test_what_a_sync_stores_after_apply_travels_with_the_saved_plan() -> None:
    from sync.syncjob import SyncOutcome, outcome_of, saved_finish

    outcome = SyncOutcome(
        new_plan(NOW),
        cursors={("salesforce", "Lead"): Cursor(NOW, "00Q1")},
        agreed={"00Q1": {"title": "Roofer", "employees": 12}},
        versions={("hubspot", "contacts"): {"51": NOW - timedelta(seconds=3)}},
    )
    outcome.plan.finish = saved_finish(outcome)
    back = outcome_of(Plan.from_json(outcome.plan.to_json()))
    assert back.cursors == outcome.cursors
    assert back.agreed == outcome.agreed
    assert back.versions == outcome.versions
    assert outcome_of(new_plan(NOW)).cursors == {}
