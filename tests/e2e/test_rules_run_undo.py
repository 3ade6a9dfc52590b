"""Undoing a rules run: native fields back to their before-values, its tasks closed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from integrations.base import WriteRow
from sync.rules_undo import undo_rules_run
from sync.rulesjob import run_rules
from tests.e2e import rules_support as rs


def test_undo_puts_fields_back_and_closes_tasks(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    done = run_rules(context, "both", False, rs.now())
    sf, hs = context.connectors["salesforce"], context.connectors["hubspot"]
    scored = sorted({c["record_id"] for c in done.changes if c["field"] == "Crmops_Score__c"})
    touched = scored[0]  # someone edits this one after the run: undo leaves it alone
    sf.update("Lead", [WriteRow({"Crmops_Score__c": 1}, id=touched)])
    connectors = context.connectors

    dry = undo_rules_run(context.store, connectors, done.run_id or 0, True)
    undo_id = context.store.start_run("undo")
    report = undo_rules_run(context.store, connectors, done.run_id or 0, False, undo_id)

    # An owner routed away from a deactivated user cannot go back to them: listed, not written.
    assert {f["field"] for f in report.failed} <= {"OwnerId"}
    assert dry.restored == report.restored
    assert {(s["record_id"], s["field"]) for s in report.skipped} == {(touched, "Crmops_Score__c")}
    leads = sf.read_by_ids("Lead", scored, ["Crmops_Score__c"])
    assert {r.id: r.fields["Crmops_Score__c"] for r in leads if r.fields["Crmops_Score__c"]} == {
        touched: 1
    }
    contacts = [c["record_id"] for c in done.changes if c["field"] == "crmops_score"]
    scores = hs.read_by_ids("contacts", contacts, ["crmops_score"])
    assert contacts and not any(r.fields.get("crmops_score") for r in scores)
    closed = [k.task_id or "" for k in context.store.tasks_of_run(done.run_id or 0)
              if k.system == "salesforce"]  # fmt: skip
    statuses = {t.fields["Status"] for t in sf.read_by_ids("Task", closed, ["Status"])}
    assert closed and statuses == {"Completed"}
    left = context.store.journal_for_run(done.run_id or 0, state="written")
    assert (touched, "Crmops_Score__c") in {(e.record_id, e.field) for e in left}
    assert {e.field for e in left} <= {"Crmops_Score__c", "OwnerId"}
