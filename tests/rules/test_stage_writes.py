"""A stage move as each CRM's own values; HubSpot's lifecyclestage is never written backward."""

from __future__ import annotations

from typing import Any

from rules.compiler import Compiled
from rules.engine import evaluate_lead
from sync.rules_plan import RecordPlan, stage_fields
from sync.rules_source import Item
from sync.rules_systems import HUBSPOT, SALESFORCE
from tests.rules.conftest import NOW, lead

ANSWERED = {
    "stage": "contacted",
    "first_outreach_at": "2026-03-09T10:00:00-04:00",
    "last_inbound_at": "2026-03-10T09:00:00-04:00",
}


def _fields(compiled: Compiled, system: str, native: dict[str, Any]) -> dict[str, Any]:
    decision = evaluate_lead(compiled, lead(**ANSWERED), NOW)
    assert (decision.stage.from_, decision.stage.to) == ("contacted", "engaged")
    spec = HUBSPOT if system == "hubspot" else SALESFORCE
    item = Item("lead", spec.system, spec.lead_object, "1", "s1", native)
    return stage_fields(spec, compiled, RecordPlan(item, decision), "lead", {})


def test_hubspot_forward_move_sets_both_stage_fields(compiled: Compiled) -> None:
    found = _fields(
        compiled, "hubspot", {"hs_lead_status": "ATTEMPTED_TO_CONTACT", "lifecyclestage": "lead"}
    )
    assert found["hs_lead_status"] == "CONNECTED"
    assert found["lifecyclestage"] == "marketingqualifiedlead"
    assert "stage_changed_at" in found


def test_hubspot_lifecycle_already_further_is_not_written_back(compiled: Compiled) -> None:
    native = {"hs_lead_status": "ATTEMPTED_TO_CONTACT", "lifecyclestage": "opportunity"}
    found = _fields(compiled, "hubspot", native)
    assert found["hs_lead_status"] == "CONNECTED"
    assert "lifecyclestage" not in found


def test_salesforce_move_is_its_status_picklist_value(compiled: Compiled) -> None:
    found = _fields(compiled, "salesforce", {"Status": "Working - Contacted"})
    assert found["Status"] == "Working - Engaged"
    assert "Stage_Changed_At__c" in found
