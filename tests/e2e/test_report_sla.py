"""SLA figures of the report: first response within the SOP's SLA, overdue tasks per owner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from rules.compiler import Compiled
from rules.engine import compile_rules
from rules.loader import load_rules
from sync.sla import SlaCounter, overdue_by_owner

# A Monday afternoon in New York (the shipped rules' zone), inside business hours.
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def compiled() -> Compiled:
    return compile_rules(load_rules(None))


def lead(
    minutes_old: float, source: str, answered_after: float | None = None, **extra: Any
) -> dict:
    created = NOW - timedelta(minutes=minutes_old)
    values = {
        "email": "lead@example.com",
        "last_name": "Lead",
        "stage": "new",
        "created_at": created,
        "lead_source": source,
        **extra,
    }
    if answered_after is not None:
        values["first_outreach_at"] = created + timedelta(minutes=answered_after)
    return values


def count(compiled: Compiled, *leads: dict) -> tuple[int, int, int, int, int]:
    counter = SlaCounter(compiled, NOW)
    for n, values in enumerate(leads):
        counter.add(values, f"00Q{n:012d}", "salesforce")
    t = counter.tally
    return t.new_leads, t.in_time, t.late, t.missed, t.pending


def test_marketplace_lead_has_five_minutes(compiled: Compiled) -> None:
    assert count(compiled, lead(60, "Marketplace", answered_after=5)) == (1, 1, 0, 0, 0)
    assert count(compiled, lead(60, "Marketplace", answered_after=6)) == (1, 0, 1, 0, 0)


def test_unanswered_lead_is_missed_once_its_sla_ended(compiled: Compiled) -> None:
    assert count(compiled, lead(20, "Website")) == (1, 0, 0, 1, 0)  # 15 minutes
    assert count(compiled, lead(10, "Website")) == (1, 0, 0, 0, 1)  # still inside it


def test_emergency_service_wins_over_source(compiled: Compiled) -> None:
    emergency = lead(60, "Phone", answered_after=1, service_type="Emergency")  # 0 minutes
    assert count(compiled, emergency) == (1, 0, 1, 0, 0)
    assert count(compiled, lead(60, "Phone", answered_after=1)) == (1, 1, 0, 0, 0)  # 2 hours


def test_a_lead_contacted_since_keeps_the_sla_it_had_when_new(compiled: Compiled) -> None:
    moved = lead(60, "Marketplace", answered_after=30, stage="contacted")
    assert count(compiled, moved) == (1, 0, 1, 0, 0)


def test_only_leads_created_in_the_window_count(compiled: Compiled) -> None:
    old = lead(31 * 24 * 60, "Website", answered_after=1)
    assert count(compiled, old, lead(60, "Website", answered_after=1)) == (1, 1, 0, 0, 0)


def test_overdue_tasks_are_counted_per_owner_email() -> None:
    owners = {"005A": "ana.sales@example.com"}
    tasks = [
        (NOW - timedelta(hours=1), "005A"),
        (NOW + timedelta(hours=1), "005A"),  # not due yet
        ((NOW - timedelta(days=1)).date(), "005A"),  # a date: overdue from the next day
        (NOW.date(), "005B"),  # due today: not overdue yet
        ((NOW - timedelta(days=3)).date(), "005B"),
        (None, "005A"),  # no due time: never overdue
        (NOW - timedelta(days=2), None),
    ]
    assert overdue_by_owner(tasks, NOW, owners) == {
        "ana.sales@example.com": 2,
        "005B": 1,
        "(no owner)": 1,
    }


def test_open_tasks_are_read_filtered_and_match_a_full_read(make_sandbox: Any) -> None:
    from sync.sla import open_tasks
    from tests.e2e.support import connectors

    running = make_sandbox(size=30, rate_limits=False, search_lag_seconds=0)
    both = connectors(running)
    hubspot = both["hubspot"].read_all("tasks", ["hs_task_status", "hubspot_owner_id"])
    still_open = sorted(
        t.fields["hubspot_owner_id"]
        for t in hubspot
        if t.fields["hs_task_status"] not in ("COMPLETED", "DEFERRED")
    )
    assert still_open and sorted(str(o) for _, o in open_tasks(both["hubspot"])) == still_open
    salesforce = both["salesforce"].read_all("Task", ["OwnerId", "IsClosed"])
    open_sf = sorted(t.fields["OwnerId"] for t in salesforce if not t.fields["IsClosed"])
    found = open_tasks(both["salesforce"])
    assert open_sf and sorted(str(owner) for _, owner in found) == open_sf
    assert all(due is not None for due, _ in found)
