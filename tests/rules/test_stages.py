"""Stage progression (sop-rules.md section 3): every criterion, forward only, terminal, unmapped."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rules.compiler import Compiled
from rules.engine import evaluate_lead, evaluate_opportunity
from tests.rules.conftest import NOW, at, lead, opportunity

BANT = {"budget": "25k", "authority": True, "need": "new roof", "timeline": "Q2"}
OUTREACH = "2026-03-05T10:00:00-05:00"
INBOUND = "2026-03-06T10:00:00-05:00"


def move(compiled: Compiled, **fields: Any) -> tuple[str | None, str | None, str | None]:
    decision = evaluate_lead(compiled, lead(**fields), NOW)
    return decision.stage.from_, decision.stage.to, decision.stage.reason


@pytest.mark.parametrize(
    ("fields", "expected_to", "reason"),
    [
        ({"stage": "new", "first_outreach_at": OUTREACH}, "contacted", "first outreach completed"),
        (
            {"stage": "contacted", "first_outreach_at": OUTREACH, "last_inbound_at": INBOUND},
            "engaged",
            "the lead answered our outreach",
        ),
        ({"stage": "engaged", "first_outreach_at": OUTREACH, **BANT}, "qualified", "BANT met"),
        ({"stage": "contacted", **BANT}, "qualified", "BANT met"),
        ({"stage": "new", "first_outreach_at": OUTREACH, **BANT}, "qualified", "BANT met"),
        (
            {"stage": "qualified", "appointment_at": "2026-03-12T10:00:00-04:00"},
            "appointment_set",
            "appointment scheduled",
        ),
        (
            {"stage": "new", "appointment_at": "2026-03-12T10:00:00-04:00"},
            "appointment_set",
            "appointment scheduled",
        ),
        ({"stage": "appointment_set", "has_won_deal": True}, "sold", "a deal is Closed Won"),
        (
            {"stage": "contacted", "first_outreach_at": "2026-02-20T10:00:00-05:00"},
            "lost",
            "unresponsive",
        ),
        (
            {"stage": "new", "first_outreach_at": "2026-02-20T10:00:00-05:00"},
            "lost",
            "unresponsive",
        ),
    ],
)
def test_each_stage_criterion(
    compiled: Compiled, fields: dict[str, Any], expected_to: str, reason: str
) -> None:
    start, to, why = move(compiled, **fields)
    assert (start, to, why) == (fields["stage"], expected_to, reason)


@pytest.mark.parametrize(
    "fields",
    [
        {"stage": "new"},
        {
            "stage": "contacted",
            "first_outreach_at": OUTREACH,
            "last_inbound_at": "2026-03-01T09:00:00-05:00",
        },
        {"stage": "new", **BANT},
        {"stage": "engaged", **{**BANT, "authority": False}},
        {"stage": "engaged", **{**BANT, "need": ""}},
        {"stage": "engaged", "first_outreach_at": "2026-02-01T10:00:00-05:00"},
    ],
    ids=[
        "nothing",
        "inbound before outreach",
        "bant but new",
        "authority false",
        "need blank",
        "engaged is never lost",
    ],
)
def test_criteria_that_do_not_hold_move_nothing(compiled: Compiled, fields: dict[str, Any]) -> None:
    start, to, reason = move(compiled, **fields)
    assert to == start == fields["stage"] and reason is None


def test_lost_after_fifteen_calendar_days_across_dst(compiled: Compiled) -> None:
    # 15 calendar days after 14:00 EST is 14:00 EDT on 10 March: now exactly.
    assert (
        move(compiled, stage="contacted", first_outreach_at="2026-02-23T14:00:00-05:00")[1]
        == "lost"
    )
    assert move(compiled, stage="contacted", first_outreach_at="2026-02-23T14:01:00-05:00")[1] == (
        "contacted"
    )


def test_forward_only(compiled: Compiled) -> None:
    assert move(compiled, stage="qualified", first_outreach_at=OUTREACH)[1] == "qualified"
    assert move(compiled, stage="appointment_set", **BANT)[1] == "appointment_set"


@pytest.mark.parametrize("terminal", ["sold", "lost"])
def test_terminal_stages_never_move(compiled: Compiled, terminal: str) -> None:
    fields = {"first_outreach_at": OUTREACH, "last_inbound_at": INBOUND, "appointment_at": INBOUND}
    assert move(compiled, stage=terminal, has_won_deal=True, **fields)[1] == terminal


def test_unmapped_status_is_scored_flagged_and_gets_no_stage_task(compiled: Compiled) -> None:
    hot = {
        "title": "Owner",
        "employees": 12,
        "industry": "Real Estate",
        "website_visits": 4,
        "content_downloads": 1,
        "email_clicks": 1,
        "form_submissions": 1,
        "demo_requested_at": "2026-03-08T14:00:00-04:00",
    }
    old = "2025-10-01T09:00:00-04:00"
    decision = evaluate_lead(
        compiled,
        lead(stage="Working - Nurture", first_outreach_at=OUTREACH, created_at=old, **hot),
        NOW,
    )
    assert decision.stage_unmapped and not decision.stage.moved
    assert decision.stage.to == "Working - Nurture"
    assert decision.score == 90
    assert {t.rule for t in decision.tasks} == {"contact_verification"}


def test_stage_changed_at_is_now_only_when_moved(compiled: Compiled) -> None:
    moved = evaluate_lead(compiled, lead(stage="new", first_outreach_at=OUTREACH), NOW)
    assert moved.stage_changed_at == NOW
    kept = evaluate_lead(compiled, lead(stage="new", stage_changed_at=OUTREACH), NOW)
    assert kept.stage_changed_at == at(OUTREACH)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"stage": "prospecting", **BANT}, "qualification"),
        ({"stage": "qualification", "needs_assessment_completed_at": OUTREACH}, "needs_analysis"),
        ({"stage": "needs_analysis", "proposal_sent_at": OUTREACH}, "proposal"),
        ({"stage": "proposal", "contract_sent_at": OUTREACH}, "negotiation"),
        ({"stage": "prospecting", "contract_sent_at": OUTREACH}, "negotiation"),
        ({"stage": "negotiation", **BANT}, "negotiation"),
        ({"stage": "closed_won", "contract_sent_at": OUTREACH}, "closed_won"),
        ({"stage": "closed_lost", "proposal_sent_at": OUTREACH}, "closed_lost"),
    ],
)
def test_opportunity_progression(compiled: Compiled, fields: dict[str, Any], expected: str) -> None:
    decision = evaluate_opportunity(compiled, opportunity(**fields), NOW)
    assert decision.stage.to == expected


def test_opportunity_with_unknown_stage_is_unmapped(compiled: Compiled) -> None:
    decision = evaluate_opportunity(compiled, opportunity(stage="Id. Decision Makers"), NOW)
    assert decision.stage_unmapped and decision.tasks == ()


SALESFORCE_LEAD = {
    "new": "Open - Not Contacted",
    "contacted": "Working - Contacted",
    "engaged": "Working - Engaged",
    "qualified": "Qualified",
    "appointment_set": "Appointment Set",
    "sold": "Closed - Converted",
    "lost": "Closed - Not Converted",
}
HUBSPOT_LEAD = {
    "new": ("NEW", "lead"),
    "contacted": ("ATTEMPTED_TO_CONTACT", "lead"),
    "engaged": ("CONNECTED", "marketingqualifiedlead"),
    "qualified": ("OPEN_DEAL", "salesqualifiedlead"),
    "appointment_set": ("OPEN_DEAL", "opportunity"),
    "sold": ("CONNECTED", "customer"),
    "lost": ("UNQUALIFIED", "other"),
}


@pytest.mark.parametrize("stage", list(SALESFORCE_LEAD))
def test_crm_stage_values_both_ways(compiled: Compiled, stage: str) -> None:
    salesforce = compiled.stage_values("salesforce", "lead", stage)
    assert salesforce == {"Status": SALESFORCE_LEAD[stage]}
    assert compiled.stage_from_values("salesforce", "lead", salesforce) == stage
    status, lifecycle = HUBSPOT_LEAD[stage]
    hubspot = compiled.stage_values("hubspot", "lead", stage)
    assert hubspot == {"hs_lead_status": status, "lifecyclestage": lifecycle}
    assert compiled.stage_from_values("hubspot", "lead", hubspot) == stage


def test_opportunity_stage_values(compiled: Compiled) -> None:
    assert compiled.stage_values("salesforce", "opportunity", "proposal") == {
        "StageName": "Proposal/Price Quote"
    }
    assert compiled.stage_values("hubspot", "opportunity", "negotiation") == {
        "dealstage_label": "Negotiation"
    }
    assert compiled.stage_from_values("salesforce", "opportunity", {"StageName": "Closed Won"}) == (
        "closed_won"
    )


def test_unknown_native_values_map_to_no_stage(compiled: Compiled) -> None:
    assert compiled.stage_from_values("salesforce", "lead", {"Status": "Nurture"}) is None
    # HubSpot moved lifecyclestage by itself: the lead status alone still decides, when unique.
    found = compiled.stage_from_values(
        "hubspot", "lead", {"hs_lead_status": "ATTEMPTED_TO_CONTACT", "lifecyclestage": "customer"}
    )
    assert found == "contacted"
    ambiguous = {"hs_lead_status": "OPEN_DEAL", "lifecyclestage": "evangelist"}
    assert compiled.stage_from_values("hubspot", "lead", ambiguous) is None


def test_outreach_long_ago_on_a_new_lead_is_lost_not_contacted(compiled: Compiled) -> None:
    first = NOW - timedelta(days=40)
    assert move(compiled, stage="new", first_outreach_at=first.isoformat())[1] == "lost"
