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


def _outreach_tasks(context: Any, run_id: int | None, system: str) -> dict[str, list[str]]:
    """Record id -> ids of the outreach tasks the run created for it in `system`."""
    found: dict[str, list[str]] = {}
    for k in context.store.tasks_of_run(run_id or 0):
        if k.system == system and k.outreach and k.task_id and k.record_id:
            found.setdefault(k.record_id, []).append(k.task_id)
    return found


def test_undo_of_a_deferral_restores_each_tasks_real_status(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    first = run_rules(context, "both", False, rs.now())
    sf, hs = context.connectors["salesforce"], context.connectors["hubspot"]
    lead, sf_tasks = next(iter(_outreach_tasks(context, first.run_id, "salesforce").items()))
    contact, hs_tasks = next(iter(_outreach_tasks(context, first.run_id, "hubspot").items()))
    # A rep started one task (with a note of their own) and completed another.
    sf.update("Task", [WriteRow({"Status": "In Progress", "Description": "Called twice"},
                                id=sf_tasks[0])])  # fmt: skip
    hs.update("tasks", [WriteRow({"hs_task_status": "IN_PROGRESS"}, id=hs_tasks[0])])
    completed = [WriteRow({"Status": "Completed"}, id=t) for t in sf_tasks[1:2]]
    if completed:
        sf.update("Task", completed)
    sf.update("Lead", [WriteRow({"HasOptedOutOfEmail": True}, id=lead)])
    hs.update("contacts", [WriteRow({"hs_email_optout": "true"}, id=contact)])
    deferring = run_rules(context, "both", False, rs.now())
    started = sf.read_by_ids("Task", sf_tasks[:1], ["Status"])[0].fields["Status"]
    assert started == "Deferred"
    assert deferring.summary["tasks_deferred"] == len(sf_tasks) - len(completed) + len(hs_tasks)

    undo_id = context.store.start_run("undo")
    undo_rules_run(context.store, context.connectors, deferring.run_id or 0, False, undo_id)

    after = {t.id: t.fields for t in sf.read_by_ids("Task", sf_tasks, ["Status", "Description"])}
    assert after[sf_tasks[0]]["Status"] == "In Progress"
    assert after[sf_tasks[0]]["Description"] == "Called twice"
    assert all(after[t]["Status"] == "Completed" for t in sf_tasks[1:2])
    assert all(after[t]["Status"] == "Not Started" for t in sf_tasks[2:])
    hs_after = {t.id: t.fields["hs_task_status"]
                for t in hs.read_by_ids("tasks", hs_tasks, ["hs_task_status"])}  # fmt: skip
    assert hs_after[hs_tasks[0]] == "IN_PROGRESS"
    assert all(hs_after[t] == "NOT_STARTED" for t in hs_tasks[1:])
