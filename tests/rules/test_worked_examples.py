"""The worked examples of sop-rules.md section 5 (leads in fixtures/rules/worked_examples.json)."""

from __future__ import annotations

from rules.compiler import Compiled
from rules.decisions import LeadDecision
from rules.engine import evaluate_lead
from rules.lead import CanonicalLead
from tests.rules.conftest import NOW, at, fixture_json

EXAMPLES = fixture_json("worked_examples.json")


def decide(compiled: Compiled, index: int, now: object = NOW) -> LeadDecision:
    return evaluate_lead(compiled, CanonicalLead.from_mapping(EXAMPLES[index]), now)  # type: ignore[arg-type]


def test_example_1_extremely_hot(compiled: Compiled) -> None:
    decision = decide(compiled, 0)
    entries = [(e.criterion, e.points) for e in decision.breakdown]
    assert entries == [
        ("employees", 5),
        ("industry", 10),
        ("title", 10),
        ("website visits", 15),
        ("content downloads", 10),
        ("email", 15),
        ("demo request", 20),
        ("form submissions", 5),
    ]
    assert (decision.score, decision.temperature) == (90, "Extremely Hot")
    assert {t.rule for t in decision.tasks} == {"hot_lead", "escalate_manager", "immediate_human"}


def test_example_2_cold(compiled: Compiled) -> None:
    decision = decide(compiled, 1)
    assert [(e.criterion, e.points) for e in decision.breakdown] == [
        ("employees", 15),
        ("industry", 5),
        ("title", 5),
    ]
    assert (decision.score, decision.temperature) == (25, "Cold")


def test_example_3_opted_out_keeps_score_and_gets_only_internal_tasks(compiled: Compiled) -> None:
    decision = decide(compiled, 2)
    assert (decision.score, decision.temperature) == (90, "Extremely Hot")
    assert {t.rule for t in decision.tasks} == {"escalate_manager", "immediate_human"}
    assert not any(t.outreach for t in decision.tasks)


def test_example_4_marketplace_first_response(compiled: Compiled) -> None:
    (task,) = decide(compiled, 3).tasks
    assert task.rule == "first_response"
    assert task.due == at("2026-03-10T14:03:00-04:00")


def test_example_5_website_calendar_clock_and_business_hour(compiled: Compiled) -> None:
    (website,) = decide(compiled, 4).tasks
    assert website.due.isoformat() == "2026-03-07T10:15:00-05:00"
    (no_source,) = decide(compiled, 5).tasks
    assert no_source.due.isoformat() == "2026-03-09T09:00:00-04:00"
    # Evaluated on the Saturday itself, Monday 09:00 is beyond the 24 h horizon: not made yet.
    saturday = at("2026-03-07T10:01:00-05:00")
    assert decide(compiled, 5, saturday).tasks == ()
    assert decide(compiled, 5, at("2026-03-08T10:00:00-04:00")).tasks[0].due == no_source.due
