"""Low code end to end: a CRM field mapped to a new canonical field feeds a new criterion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from integrations.base import FieldSpec, WriteRow
from rules.engine import compile_rules
from rules.loader import DEFAULT_RULES, load_rules
from sync.mapping import DEFAULT_MAPPING, load_mapping
from sync.rulesjob import RulesContext, run_rules
from sync.store import StateStore
from tests.e2e import rules_support as rs

MAPPED = (
    "      roof_age_years: {type: integer, policy: two_way,\n"
    "                       salesforce: {Lead: Roof_Age__c}, hubspot: roof_age}\n"
)
CRITERION = (
    "        - name: old roof\n"
    "          kind: numeric\n"
    "          field: roof_age_years\n"
    "          tiers: [{min: 20, points: 5}]\n"
)
BEFORE_FIELD = "      website_visits: {type: integer"
BEFORE_CRITERION = "        - name: form submissions"


def _files(folder: Path) -> tuple[Path, Path]:
    """A mapping with the new canonical field and a rules file with a criterion over it."""
    mapping = DEFAULT_MAPPING.read_text(encoding="utf-8")
    assert mapping.count(BEFORE_FIELD) == 1
    rules = DEFAULT_RULES.read_text(encoding="utf-8")
    assert rules.count(BEFORE_CRITERION) == 1 and "extra_fields: {}" in rules
    rules = rules.replace("extra_fields: {}", "extra_fields: {lead: {roof_age_years: int}}")
    paths = folder / "mapping.yaml", folder / "sop.yaml"
    paths[0].write_text(mapping.replace(BEFORE_FIELD, MAPPED + BEFORE_FIELD))
    paths[1].write_text(rules.replace(BEFORE_CRITERION, CRITERION + BEFORE_CRITERION))
    return paths


def test_a_mapped_crm_field_scores_through_a_yaml_criterion(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    base = rs.context(running, tmp_path / "state.db")
    sf, hs = base.connectors["salesforce"], base.connectors["hubspot"]
    sf.provision([FieldSpec("Lead", "Roof_Age__c", "number", "Roof age")], False)
    hs.provision([FieldSpec("contacts", "roof_age", "number", "Roof age")], False)
    lead = next(r.id for r in sf.read_all("Lead", ["IsConverted"]) if not r.fields["IsConverted"])
    contact = next(r.id for r in hs.read_all("contacts", ["email"]))
    sf.update("Lead", [WriteRow({"Roof_Age__c": 30}, id=lead)])
    hs.update("contacts", [WriteRow({"roof_age": "30"}, id=contact)])
    mapping, rules = _files(tmp_path)
    store = StateStore(f"sqlite:///{tmp_path / 'extended.db'}")
    context = RulesContext(
        base.connectors, store, compile_rules(load_rules(rules)), load_mapping(mapping)
    )

    result = run_rules(context, "both", True, rs.now())

    written = {
        (c["system"], c["record_id"]): str(c["after"])
        for c in result.changes
        if c["field"] in ("Crmops_Score_Breakdown__c", "crmops_score_breakdown")
    }
    assert "old roof +5" in written[("salesforce", lead)]
    assert "old roof +5" in written[("hubspot", contact)]
    others = [text for key, text in written.items() if key not in {("salesforce", lead),
              ("hubspot", contact)}]  # fmt: skip
    assert others and not any("old roof" in text for text in others)
