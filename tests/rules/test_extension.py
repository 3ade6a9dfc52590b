"""An admin extends the rules in YAML only: new fields, a new criterion and a new task rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.compiler import Compiled
from rules.engine import compile_rules, evaluate_lead
from rules.lead import CanonicalLead
from rules.loader import DEFAULT_RULES, load_rules
from tests.rules.conftest import FIXTURES, NOW, at

CRITERION = """        - name: form submissions
          kind: numeric
          field: form_submissions
          tiers: [{min: 2, points: 10}, {min: 1, points: 5}]
        - name: insured
          kind: flag
          field: has_insurance_claim
          points: 5
"""


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    text = DEFAULT_RULES.read_text()
    text = text.replace(
        "extra_fields: {}",
        "extra_fields: {lead: {storm_claim_at: datetime, roof_age_years: int, "
        "has_insurance_claim: bool}}",
    )
    old = CRITERION.split("        - name: insured")[0]
    assert old in text
    text = text.replace(old, CRITERION)
    text += (FIXTURES / "extension.yaml").read_text()
    path = Path(tmp_path_factory.mktemp("rules")) / "extended.yaml"
    path.write_text(text)
    return compile_rules(load_rules(path))


def make(compiled: Compiled, **fields: object) -> CanonicalLead:
    data = {"id": "00QSTORM", "owner_id": "005A", "stage": "engaged", **fields}
    return CanonicalLead.from_mapping(data, compiled.extra_types["lead"])


def test_new_criterion_scores(extended: Compiled) -> None:
    decision = evaluate_lead(extended, make(extended, has_insurance_claim=True), NOW)
    assert [(e.criterion, e.points) for e in decision.breakdown] == [("insured", 5)]


def test_new_task_rule_over_extra_fields(extended: Compiled) -> None:
    lead = make(extended, storm_claim_at="2026-03-06T16:00:00-05:00", roof_age_years=20)
    (task,) = [t for t in evaluate_lead(extended, lead, NOW).tasks if t.rule == "storm_followup"]
    # Friday 16:00 EST + 2 business days = Tuesday 16:00 EDT.
    assert task.due == at("2026-03-10T16:00:00-04:00")
    assert task.key == "storm_followup:00QSTORM:2026-03-06T21:00Z"
    assert task.priority == "Normal"
    young = make(extended, storm_claim_at="2026-03-06T16:00:00-05:00", roof_age_years=3)
    assert all(t.rule != "storm_followup" for t in evaluate_lead(extended, young, NOW).tasks)


def test_task_rule_for_a_stage_name_with_underscore(tmp_path: Path) -> None:
    """`in: [appointment_set]` admits the stage appointment_set (both sides normalised)."""
    rule = (
        "  - name: appointment_prep\n    kind: triggered\n"
        "    when: [{field: stage, in: [appointment_set]}]\n"
        "    subject: Prepare the visit\n    due: {anchor: now, offset: 1h}\n"
        "    priority: Normal\n    outreach: false\n"
    )
    path = tmp_path / "prep.yaml"
    path.write_text(DEFAULT_RULES.read_text() + rule)
    compiled = compile_rules(load_rules(path))
    at_stage = make(compiled, stage="appointment_set")
    assert "appointment_prep" in [t.rule for t in evaluate_lead(compiled, at_stage, NOW).tasks]
    earlier = make(compiled, stage="engaged")
    assert "appointment_prep" not in [t.rule for t in evaluate_lead(compiled, earlier, NOW).tasks]
