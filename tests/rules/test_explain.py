"""Decisions as text: the manager's explanation and the short breakdown written to the CRM."""

from __future__ import annotations

from rules.compiler import Compiled
from rules.decisions import ScoreEntry
from rules.engine import evaluate_lead
from rules.explain import BREAKDOWN_LIMIT, breakdown_text, decision_to_dict, explain
from rules.lead import CanonicalLead
from tests.rules.conftest import NOW, fixture_json, lead


def example(compiled: Compiled, index: int = 0):  # type: ignore[no-untyped-def]
    return evaluate_lead(
        compiled, CanonicalLead.from_mapping(fixture_json("worked_examples.json")[index]), NOW
    )


def test_breakdown_text(compiled: Compiled) -> None:
    text = breakdown_text(example(compiled))
    assert text == (
        "90 Extremely Hot: employees +5, industry +10, title +10, website visits +15, "
        "content downloads +10, email +15, demo request +20, form submissions +5"
    )


def test_breakdown_text_shows_caps_and_nothing(compiled: Compiled) -> None:
    assert breakdown_text(evaluate_lead(compiled, lead(), NOW)) == "0 Cold: no criteria met"
    capped = evaluate_lead(compiled, lead(employees=900, industry="Insurance", title="CEO"), NOW)
    assert breakdown_text(capped).endswith("title +10, demographics cap -10")


def test_breakdown_text_never_exceeds_the_field(compiled: Compiled) -> None:
    decision = example(compiled)
    long = decision._replace(breakdown=tuple(ScoreEntry(f"criterion {i}", 1) for i in range(60)))
    text = breakdown_text(long)
    assert len(text) <= BREAKDOWN_LIMIT and text.endswith("...")


def test_explain_reads_like_a_report(compiled: Compiled) -> None:
    text = explain(example(compiled))
    assert text.splitlines()[0] == (
        "Lead 00Q000000000001AAA: score 90 (Extremely Hot, Salesforce rating Hot)"
    )
    assert "demo request" in text and "+20" in text
    assert "Stage: stays engaged" in text
    assert "Escalation: lead temperature above 85" in text and "[internal]" in text
    assert "key hot_lead:00Q000000000001AAA:once" in text


def test_explain_mentions_moves_routing_misses_and_opt_out(compiled: Compiled) -> None:
    decision = evaluate_lead(
        compiled,
        lead(
            owner_id=None,
            stage="new",
            first_outreach_at="2026-02-20T10:00:00-05:00",
            opted_out=True,
        ),
        NOW,
    )
    text = explain(decision)
    assert "Stage: new -> lost (unresponsive)" in text
    assert "routed to" in text and "sales team" in text
    assert "Opted out" in text
    stale = evaluate_lead(
        compiled, lead(stage="lost", stage_changed_at="2026-01-20T10:00:00-05:00"), NOW
    )
    assert "Missed" in explain(stale) and "re_engagement:00QTEST:month1" in explain(stale)
    odd = evaluate_lead(compiled, lead(stage="Nurture"), NOW)
    assert "'Nurture' maps to no SOP stage" in explain(odd)


def test_decision_to_dict_shape(compiled: Compiled) -> None:
    data = decision_to_dict(example(compiled))
    assert list(data) == ["id", "score", "temperature", "breakdown", "stage", "tasks"]
    assert data["stage"] == {"from": "engaged", "to": "engaged", "reason": None}
    assert set(data["tasks"][0]) == {"rule", "key", "subject", "due", "priority", "assignee"}


def test_explain_opportunity(compiled: Compiled) -> None:
    from rules.engine import evaluate_opportunity
    from tests.rules.conftest import opportunity

    decision = evaluate_opportunity(
        compiled,
        opportunity(stage="proposal", stage_changed_at="2026-02-01T09:00:00-05:00"),
        NOW,
    )
    text = explain(decision)
    assert text.startswith("Opportunity 006TEST\nStage: stays proposal")
    assert "Update opportunity stage" in text and "stale_opportunity:006TEST:proposal" in text
