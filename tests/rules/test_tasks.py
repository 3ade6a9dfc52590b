"""Every task row of sop-rules.md section 4: conditions, due times, priority, keys, owners."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rules.compiler import Compiled
from rules.decisions import TaskDecision
from rules.engine import evaluate_lead, evaluate_opportunity
from tests.rules.conftest import NOW, at, lead, opportunity

HOT = {
    "title": "Owner",
    "employees": 12,
    "industry": "Real Estate",
    "website_visits": 4,
    "content_downloads": 1,
    "email_clicks": 1,
    "form_submissions": 1,
    "demo_requested_at": "2026-03-08T14:00:00-04:00",
}  # scores 90


def tasks(compiled: Compiled, **fields: Any) -> dict[str, TaskDecision]:
    decision = evaluate_lead(compiled, lead(**fields), NOW)
    return {t.rule: t for t in decision.tasks}


def ago(**delta: float) -> str:
    return (NOW - timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    ("fields", "due"),
    [
        ({"service_type": "Emergency", "lead_source": "Marketplace"}, "2026-03-10T13:50:00-04:00"),
        ({"lead_source": "Marketplace"}, "2026-03-10T13:55:00-04:00"),
        ({"lead_source": "Website"}, "2026-03-10T14:05:00-04:00"),
        ({"lead_source": "Phone"}, "2026-03-10T15:50:00-04:00"),
        ({"lead_source": "Referral"}, "2026-03-10T14:50:00-04:00"),
        ({"lead_source": "Repeat Customer"}, "2026-03-10T14:50:00-04:00"),
        ({"lead_source": "Social"}, "2026-03-10T14:50:00-04:00"),
        ({}, "2026-03-10T14:50:00-04:00"),
    ],
)
def test_first_response_sla_first_match_wins(
    compiled: Compiled, fields: dict[str, Any], due: str
) -> None:
    task = tasks(compiled, stage="new", created_at="2026-03-10T13:50:00-04:00", **fields)[
        "first_response"
    ]
    assert task.due == at(due)
    assert task.key == "first_response:00QTEST:once"
    assert task.subject == "Respond to new lead" and task.outreach


def test_first_response_business_hour_from_evening(compiled: Compiled) -> None:
    task = tasks(compiled, stage="new", created_at="2026-03-09T17:30:00-04:00")["first_response"]
    assert task.due == at("2026-03-10T08:30:00-04:00")


@pytest.mark.parametrize(
    ("fields", "priority"),
    [({"service_type": "Emergency"}, "High"), (HOT, "High"), ({"title": "CEO"}, "Normal")],
)
def test_first_response_priority(compiled: Compiled, fields: dict[str, Any], priority: str) -> None:
    found = tasks(compiled, stage="new", created_at=ago(minutes=5), **fields)["first_response"]
    assert found.priority == priority


def test_first_response_only_at_new(compiled: Compiled) -> None:
    found = tasks(compiled, stage="engaged", created_at=ago(minutes=5))
    assert "first_response" not in found


@pytest.mark.parametrize(
    ("outreach", "step", "subject"),
    [
        (ago(days=3), "day3", "Follow-up #1 (no response)"),
        (ago(days=2), "day3", "Follow-up #1 (no response)"),  # due tomorrow: within the horizon
        (ago(days=7), "day7", "Follow-up #2 (different approach)"),
        (ago(days=8), "day7", "Follow-up #2 (different approach)"),  # day3 is moot
        (ago(days=14), "day14", "Final follow-up before marking inactive"),
    ],
)
def test_cadence_makes_latest_due_step(
    compiled: Compiled, outreach: str, step: str, subject: str
) -> None:
    task = tasks(compiled, stage="contacted", first_outreach_at=outreach)["cadence"]
    assert task.key == f"cadence:00QTEST:{step}"
    assert task.subject == subject
    assert task.priority == "Normal" and task.outreach


def test_cadence_days_keep_wall_time_across_dst(compiled: Compiled) -> None:
    task = tasks(compiled, stage="contacted", first_outreach_at="2026-03-06T15:00:00-05:00")[
        "cadence"
    ]
    assert task.due == at("2026-03-09T15:00:00-04:00")


def test_cadence_not_yet_due(compiled: Compiled) -> None:
    assert "cadence" not in tasks(compiled, stage="contacted", first_outreach_at=ago(days=1))


@pytest.mark.parametrize(
    ("changed", "step"),
    [(ago(days=30), "month1"), (ago(days=62), "month2"), (ago(days=92), "month3")],
)
def test_re_engagement_monthly(compiled: Compiled, changed: str, step: str) -> None:
    task = tasks(compiled, stage="lost", stage_changed_at=changed)["re_engagement"]
    assert task.key == f"re_engagement:00QTEST:{step}"
    assert task.priority == "Low" and task.subject == "Monthly re-engagement"


def test_re_engagement_not_before_a_month(compiled: Compiled) -> None:
    assert "re_engagement" not in tasks(compiled, stage="lost", stage_changed_at=ago(days=20))


def test_re_engagement_step_too_late_is_missed(compiled: Compiled) -> None:
    decision = evaluate_lead(compiled, lead(stage="lost", stage_changed_at=ago(days=45)), NOW)
    assert [m.key for m in decision.missed] == ["re_engagement:00QTEST:month1"]
    assert "re_engagement" not in {t.rule for t in decision.tasks}


def test_appointment_confirm_and_reminder(compiled: Compiled) -> None:
    found = tasks(compiled, stage="appointment_set", appointment_at="2026-03-11T10:00:00-04:00")
    confirm, reminder = found["appointment_confirm"], found["appointment_reminder"]
    assert confirm.due == at("2026-03-10T10:00:00-04:00")
    assert reminder.due == at("2026-03-11T08:00:00-04:00")
    assert confirm.key == "appointment_confirm:00QTEST:2026-03-11T14:00Z"
    assert reminder.key == "appointment_reminder:00QTEST:2026-03-11T14:00Z"
    assert confirm.subject == "Confirm appointment" and reminder.subject == "Day-of reminder"


def test_rescheduled_appointment_gets_new_keys(compiled: Compiled) -> None:
    first = tasks(compiled, stage="appointment_set", appointment_at="2026-03-11T10:00:00-04:00")
    moved = tasks(compiled, stage="appointment_set", appointment_at="2026-03-11T11:00:00-04:00")
    assert first["appointment_confirm"].key != moved["appointment_confirm"].key


def test_appointment_far_ahead_or_past_makes_nothing_yet(compiled: Compiled) -> None:
    far = tasks(compiled, stage="appointment_set", appointment_at="2026-03-14T10:00:00-04:00")
    past = tasks(compiled, stage="appointment_set", appointment_at="2026-03-09T10:00:00-04:00")
    assert "appointment_confirm" not in far and "appointment_reminder" not in far
    assert "appointment_confirm" not in past


def test_post_visit_and_proposal_delivery(compiled: Compiled) -> None:
    done = "2026-03-10T12:00:00-04:00"
    found = tasks(compiled, stage="appointment_set", appointment_completed_at=done)
    assert found["post_visit"].due == at("2026-03-10T16:00:00-04:00")
    assert found["post_visit"].priority == "High"
    assert found["proposal_delivery"].due == at("2026-03-11T12:00:00-04:00")
    assert found["proposal_delivery"].subject == "Deliver and explain proposal"
    sent = tasks(
        compiled, stage="appointment_set", appointment_completed_at=done, proposal_sent_at=done
    )
    assert "proposal_delivery" not in sent and "post_visit" in sent


def test_hot_lead(compiled: Compiled) -> None:
    task = tasks(compiled, stage="engaged", **HOT)["hot_lead"]
    assert task.due == at("2026-03-11T14:00:00-04:00")
    assert (task.priority, task.outreach, task.key) == ("High", True, "hot_lead:00QTEST:once")
    assert "hot_lead" not in tasks(compiled, stage="sold", **HOT)


@pytest.mark.parametrize("source", ["Referral", "Repeat Customer"])
def test_senior_sales(compiled: Compiled, source: str) -> None:
    task = tasks(compiled, stage="engaged", lead_source=source)["senior_sales"]
    assert task.due == at("2026-03-10T15:00:00-04:00")
    assert (task.assignee, task.assignee_kind) == ("sam.senior@example.com", "email")
    assert "senior_sales" not in tasks(compiled, stage="lost", lead_source=source)


def test_escalate_manager_goes_to_manager_or_escalation_owner(compiled: Compiled) -> None:
    with_manager = tasks(compiled, stage="engaged", manager_id="005BOSS", **HOT)["escalate_manager"]
    assert (with_manager.assignee, with_manager.assignee_kind) == ("005BOSS", "user_id")
    assert with_manager.due == NOW and not with_manager.outreach
    alone = tasks(compiled, stage="engaged", **HOT)["escalate_manager"]
    assert alone.assignee == "morgan.manager@example.com"


def test_immediate_human(compiled: Compiled) -> None:
    task = tasks(compiled, stage="engaged", **HOT)["immediate_human"]
    assert (task.due, task.priority, task.outreach, task.assignee) == (
        NOW,
        "High",
        False,
        "005OWNER",
    )


@pytest.mark.parametrize(
    ("fields", "made"),
    [
        ({"contact_verified_at": ago(days=91)}, True),
        ({"contact_verified_at": ago(days=89), "created_at": ago(days=400)}, False),
        ({"created_at": ago(days=100)}, True),
        ({"created_at": ago(days=30)}, False),
    ],
)
def test_contact_verification(compiled: Compiled, fields: dict[str, Any], made: bool) -> None:
    found = tasks(compiled, stage="engaged", **fields).get("contact_verification")
    assert (found is not None) == made
    if found is not None:
        assert found.key == "contact_verification:00QTEST:2026Q1"
        assert found.due == at("2026-03-17T14:00:00-04:00")
        assert (found.priority, found.outreach) == ("Low", False)


def test_stale_opportunity_once_per_stage(compiled: Compiled) -> None:
    decision = evaluate_opportunity(
        compiled, opportunity(stage="proposal", stage_changed_at=ago(days=14)), NOW
    )
    (task,) = [t for t in decision.tasks if t.rule == "stale_opportunity"]
    assert task.key == "stale_opportunity:006TEST:proposal"
    assert (
        task.due == at("2026-03-11T14:00:00-04:00") and task.subject == "Update opportunity stage"
    )
    fresh = evaluate_opportunity(
        compiled, opportunity(stage="proposal", stage_changed_at=ago(days=13)), NOW
    )
    closed = evaluate_opportunity(
        compiled, opportunity(stage="closed_won", stage_changed_at=ago(days=30)), NOW
    )
    moved = evaluate_opportunity(
        compiled,
        opportunity(stage="proposal", stage_changed_at=ago(days=30), contract_sent_at=ago(days=1)),
        NOW,
    )
    assert fresh.tasks == () and closed.tasks == () and moved.tasks == ()


@pytest.mark.parametrize(
    ("end", "outcome"),
    [
        ("2026-06-08T14:00:00-04:00", "made"),  # end - 90 days = now
        ("2026-06-09T10:00:00-04:00", "made"),  # due tomorrow 10:00, within the horizon
        ("2026-06-12T10:00:00-04:00", "none"),
        ("2026-05-10T10:00:00-04:00", "missed"),  # due a month ago
    ],
)
def test_renewal(compiled: Compiled, end: str, outcome: str) -> None:
    decision = evaluate_opportunity(
        compiled, opportunity(stage="negotiation", contract_end_at=end), NOW
    )
    made = [t for t in decision.tasks if t.rule == "renewal"]
    missed = [m for m in decision.missed if m.rule == "renewal"]
    assert ("made" if made else "missed" if missed else "none") == outcome
    if made:
        assert made[0].due == at(end) - timedelta(days=90)
        assert (
            made[0].subject == "Begin renewal" and made[0].key == f"renewal:006TEST:{made[0].step}"
        )


def test_horizon_edge(compiled: Compiled) -> None:
    # Day 3 due exactly now + 24 h is made; a minute later it is not yet.
    made = tasks(compiled, stage="contacted", first_outreach_at=ago(days=2))
    later = tasks(compiled, stage="contacted", first_outreach_at=ago(days=2, minutes=-1))
    assert "cadence" in made and "cadence" not in later


def test_max_lateness_edge(compiled: Compiled) -> None:
    on_edge = evaluate_lead(
        compiled, lead(stage="new", created_at=ago(days=7), lead_source="Phone"), NOW
    )
    assert on_edge.tasks[0].due == NOW - timedelta(days=7) + timedelta(hours=2)
    late = evaluate_lead(
        compiled,
        lead(stage="new", created_at=ago(days=7, hours=2, minutes=1), lead_source="Phone"),
        NOW,
    )
    assert late.tasks == ()
    assert [m.key for m in late.missed] == ["first_response:00QTEST:once"]


def test_opted_out_gets_no_outreach_but_internal_tasks(compiled: Compiled) -> None:
    decision = evaluate_lead(
        compiled,
        lead(
            stage="new",
            created_at=ago(minutes=1),
            lead_source="Referral",
            opted_out=True,
            contact_verified_at=ago(days=100),
            **HOT,
        ),
        NOW,
    )
    assert {t.rule for t in decision.tasks} == {
        "escalate_manager",
        "immediate_human",
        "contact_verification",
    }
    assert not any(t.outreach for t in decision.tasks)
    assert decision.defer_outreach and decision.deferral_note
    assert not evaluate_lead(compiled, lead(stage="new"), NOW).defer_outreach


def test_tasks_follow_this_runs_stage_move(compiled: Compiled) -> None:
    found = tasks(compiled, stage="new", created_at=ago(days=4), first_outreach_at=ago(days=3))
    assert "cadence" in found and "first_response" not in found


def test_keys_are_deterministic(compiled: Compiled) -> None:
    fields = {"stage": "contacted", "first_outreach_at": ago(days=7), **HOT}
    first = evaluate_lead(compiled, lead(**fields), NOW)
    second = evaluate_lead(compiled, lead(**fields), NOW + timedelta(minutes=30))
    assert [t.key for t in first.tasks] == [t.key for t in second.tasks]


def test_cadence_across_dst_end(compiled: Compiled) -> None:
    now = at("2026-11-02T15:30:00-05:00")
    decision = evaluate_lead(
        compiled, lead(stage="contacted", first_outreach_at="2026-10-30T15:00:00-04:00"), now
    )
    (task,) = decision.tasks
    assert task.key == "cadence:00QTEST:day3"
    assert task.due.isoformat() == "2026-11-02T15:00:00-05:00"


@pytest.mark.parametrize(
    ("created", "now", "due"),
    [
        # Friday after closing: Monday opening + 1 h.
        ("2026-03-13T18:30:00-04:00", "2026-03-16T08:00:00-04:00", "2026-03-16T09:00:00-04:00"),
        # Friday 17:30: 30 minutes on Friday, 30 on Monday.
        ("2026-03-13T17:30:00-04:00", "2026-03-16T08:00:00-04:00", "2026-03-16T08:30:00-04:00"),
        # Thursday 2 July 17:30; Friday 3 July 2026 is the observed Independence Day.
        ("2026-07-02T17:30:00-04:00", "2026-07-06T08:00:00-04:00", "2026-07-06T08:30:00-04:00"),
        # Sunday: Monday opening + 1 h.
        ("2026-03-15T11:00:00-04:00", "2026-03-15T12:00:00-04:00", "2026-03-16T09:00:00-04:00"),
    ],
)
def test_first_response_business_hour_rolls_over_weekends_and_holidays(
    compiled: Compiled, created: str, now: str, due: str
) -> None:
    decision = evaluate_lead(compiled, lead(stage="new", created_at=created), at(now))
    assert decision.tasks[0].due == at(due)


def test_now_anchored_tasks_follow_each_now_on_one_compiled(compiled: Compiled) -> None:
    """Due time and step of now-anchored rules are shared per `now`, never across them."""
    record = lead(stage="engaged", created_at=ago(days=400), **HOT)
    first = {t.rule: t for t in evaluate_lead(compiled, record, NOW).tasks}
    later_now = at("2026-04-02T09:30:00-04:00")
    later = {t.rule: t for t in evaluate_lead(compiled, record, later_now).tasks}
    again = {t.rule: t for t in evaluate_lead(compiled, record, NOW).tasks}
    assert first["contact_verification"].key.endswith(":2026Q1")
    assert later["contact_verification"].key.endswith(":2026Q2")
    assert later["contact_verification"].due == at("2026-04-09T09:30:00-04:00")
    assert later["hot_lead"].due == later_now + timedelta(hours=24)
    assert again == first
