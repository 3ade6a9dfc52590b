"""Rules runs over time: lead conversion, opt-out, watch passes, explain and the CLI."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cli import app
from commands.rules_live import _stop_on_signals
from integrations.base import WriteRow
from integrations.factory import connect_sandbox
from sync.convert import write_salesforce_datetime
from sync.rules_report import RulesRunResult
from sync.rules_watch import parse_interval, watch
from sync.rulesjob import run_rules
from sync.store import StateStore
from tests.e2e import rules_support as rs
from tests.e2e.support import admin, env


def _task_keys_of(context: Any, run_id: int | None, system: str, outreach: bool = False) -> Any:
    keys = context.store.tasks_of_run(run_id or 0)
    return [k for k in keys if k.system == system and (k.outreach or not outreach)]


def test_a_lead_converted_between_runs_keeps_its_tasks(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    first = run_rules(context, "both", False, rs.now())
    lead_id = next(
        k.record_id for k in _task_keys_of(context, first.run_id, "salesforce") if k.record_id
    )
    stable = context.store.links_for_records("salesforce", "Lead", [lead_id])[lead_id]
    made = rs.crmops_tasks(running)
    converted = admin(running, "salesforce", "convert_lead", {"lead_id": lead_id})

    second = run_rules(context, "both", False, rs.now())

    contact_id = converted["contactId"]
    assert context.store.links_for_records("salesforce", "Contact", [contact_id]) == {
        contact_id: stable
    }
    assert rs.crmops_tasks(running) == made
    assert [t for t in second.tasks if stable in t["key"]] == []
    assert lead_id not in {e.record_id for e in context.store.journal_for_run(second.run_id or 0)}
    assert all(k.stable_id == stable for k in context.store.tasks_of_run(first.run_id or 0)
               if k.record_id == lead_id)  # fmt: skip


def test_opting_out_defers_open_outreach_tasks(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    first = run_rules(context, "both", False, rs.now())
    sf, hs = context.connectors["salesforce"], context.connectors["hubspot"]
    sf_keys = _task_keys_of(context, first.run_id, "salesforce", outreach=True)
    hs_keys = _task_keys_of(context, first.run_id, "hubspot", outreach=True)
    lead, contact = sf_keys[0].record_id, hs_keys[0].record_id
    sf.update("Lead", [WriteRow({"HasOptedOutOfEmail": True}, id=lead)])
    hs.update("contacts", [WriteRow({"hs_email_optout": "true"}, id=contact)])

    second = run_rules(context, "both", False, rs.now())

    sf_tasks = [k.task_id for k in sf_keys if k.record_id == lead]
    hs_tasks = [k.task_id for k in hs_keys if k.record_id == contact]
    assert second.summary["tasks_deferred"] == len(sf_tasks) + len(hs_tasks)
    for task in sf.read_by_ids("Task", sf_tasks, ["Status", "Description"]):
        assert task.fields["Status"] == "Deferred"
        assert "opted out" in task.fields["Description"]
    for task in hs.read_by_ids("tasks", hs_tasks, ["hs_task_status"]):
        assert task.fields["hs_task_status"] == "DEFERRED"
    statuses = context.store.task_keys_known([k.key for k in sf_keys + hs_keys])
    assert {statuses[k.key].status for k in sf_keys if k.record_id == lead} == {"deferred"}
    new_for_them = [t for t in second.tasks if t["record_id"] in (lead, contact)]
    assert all(t["rule"] in ("escalate_manager", "immediate_human") for t in new_for_them)


def test_watch_with_nothing_changed_costs_a_read_per_object(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    run_rules(context, "both", False, rs.now())
    passes: list[RulesRunResult | Exception] = []
    rs.reset_counts(running)

    ran = watch(
        context, "both", 0.01, threading.Event(), lambda _, r: passes.append(r), max_passes=3
    )

    assert ran == 3 and len(passes) == 3
    for number, result in enumerate(passes):
        assert isinstance(result, RulesRunResult)
        assert result.summary["fields_written"] == 0 and result.summary["tasks_total"] == 0
        calls = {s: sum(c.values()) for s, c in result.calls.items()}
        if number == 0:
            # The first pass re-reads the contacts the run wrote, so it also reads their
            # deal associations and the deals' stages (has_won_deal): once per 100 contacts.
            won = {e: n for e, n in result.calls["hubspot"].items() if "batch/read" in e}
            assert won == {
                "POST /crm/v4/associations/contacts/deals/batch/read": 1,
                "POST /crm/v3/objects/deals/batch/read": 1,
            }
            calls["hubspot"] -= sum(won.values())
        # Leads and opportunities: one read each per CRM; owners and stages are cached.
        assert calls == {"salesforce": 2, "hubspot": 2}
    assert rs.writes(running) == {"salesforce": 0, "hubspot": 0}


def test_watch_stops_between_passes_on_request(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    stop = threading.Event()
    seen: list[int] = []

    def on_pass(number: int, result: Any) -> None:
        seen.append(number)
        os.kill(os.getpid(), signal.SIGTERM)  # handled: asks to stop after this pass

    with _stop_on_signals(stop):
        ran = watch(context, "salesforce", 60.0, stop, on_pass)
    assert ran == 1 and seen == [1] and stop.is_set()
    assert context.store.runs(kind="rules")[0].status == "ok"
    assert parse_interval("2m") == 120 and parse_interval("500ms") == 0.5


def test_cli_run_explain_and_watch(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    variables = env(running, f"sqlite:///{tmp_path / 'state.db'}")
    runner = CliRunner()

    dry = runner.invoke(app, ["rules", "run", "--crm", "salesforce", "--dry-run"], env=variables)
    assert dry.exit_code == 0, dry.output
    assert "Dry run (nothing written)" in dry.output and "Crmops_Score__c: None ->" in dry.output
    review = dry.output.split("For review")[1]
    assert "unmapped_status" in review and "Nurturing" in review
    assert rs.writes(running) == {"salesforce": 0, "hubspot": 0}
    with StateStore(variables["CRMOPS_STATE_URL"]) as store:
        assert store.binding() == (None, None) and store.runs() == []

    done = runner.invoke(app, ["rules", "run", "--json"], env=variables)
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    hottest = max(
        (c for c in body["changes"] if c["field"] == "Crmops_Score__c"), key=lambda c: c["after"]
    )
    told = runner.invoke(
        app, ["rules", "explain", hottest["record_id"], "--crm", "salesforce"], env=variables
    )
    assert told.exit_code == 0, told.output
    assert f"Lead {hottest['record_id']}: score {hottest['after']} " in told.output
    assert "Breakdown as written to the record:" in told.output and "title" in told.output

    opportunity = next(iter(connect_sandbox(running)[0].read_all("Opportunity", ["Name"]))).id
    deal = runner.invoke(
        app, ["rules", "explain", opportunity, "--crm", "salesforce", "--json"], env=variables
    )
    assert deal.exit_code == 0, deal.output
    assert json.loads(deal.output)["object"] == "Opportunity"
    missing = runner.invoke(
        app, ["rules", "explain", "00Q000000000000AAA", "--crm", "salesforce"], env=variables
    )
    assert missing.exit_code == 2 and "no lead or opportunity" in missing.output

    looped = runner.invoke(app, ["watch", "--every", "10ms", "--max-passes", "2"], env=variables)
    assert looped.exit_code == 0, looped.output
    assert "pass 1 " in looped.output and "pass 2 " in looped.output


def test_opportunities_move_forward_in_each_crms_stage_values(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    sf, hs = context.connectors["salesforce"], context.connectors["hubspot"]
    early = {"Prospecting", "Qualification", "Needs Analysis"}
    opportunity = next(
        o.id for o in sf.read_all("Opportunity", ["StageName"]) if o.fields["StageName"] in early
    )
    stages = connect_sandbox(running)[1].deal_stage_ids()
    deal = next(
        d.id
        for d in hs.read_all("deals", ["dealstage"])
        if d.fields["dealstage"] in {stages[label] for label in ("Prospecting", "Qualification")}
    )
    sent = "2026-11-20T15:00:00.000Z"
    sf.update("Opportunity", [WriteRow({"Proposal_Sent_At__c": sent}, id=opportunity)])
    hs.update("deals", [WriteRow({"proposal_sent_at": sent}, id=deal)])

    result = run_rules(context, "both", False, rs.now())

    moved = sf.read_by_ids("Opportunity", [opportunity], ["StageName"])[0]
    assert moved.fields["StageName"] == "Proposal/Price Quote"
    assert (
        hs.read_by_ids("deals", [deal], ["dealstage"])[0].fields["dealstage"] == stages["Proposal"]
    )
    moves = result.summary["stage_moves"]
    assert sum(n for move, n in moves.items() if move.endswith("-> proposal")) >= 2


def test_time_alone_makes_tasks_due_on_records_nobody_changed(
    make_sandbox: Any, tmp_path: Path
) -> None:
    """Incremental passes read only changes; a sweep once per horizon makes time-driven tasks."""
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    sf: Any = context.connectors["salesforce"]
    sf.overlap = timedelta(0)  # no re-read window: a quiet pass reads nothing at all
    start = rs.now()
    lead = next(r.id for r in sf.read_all("Lead", ["IsConverted"]) if not r.fields["IsConverted"])
    contacted = {
        "Status": "Working - Contacted",
        "First_Outreach_At__c": write_salesforce_datetime(start - timedelta(days=5)),
        "Last_Inbound_At__c": None,
        "Appointment_At__c": None,
        "Appointment_Completed_At__c": None,
    }
    sf.update("Lead", [WriteRow(contacted, id=lead)])

    first = run_rules(context, "salesforce", False, start)
    run_rules(context, "salesforce", False, start + timedelta(hours=1))  # reads its own writes
    quiet = run_rules(context, "salesforce", False, start + timedelta(hours=2))
    later = run_rules(context, "salesforce", False, start + timedelta(hours=36))

    def cadence(result: RulesRunResult) -> set[str]:
        mine = (t for t in result.tasks if t["record_id"] == lead and t["rule"] == "cadence")
        return {t["key"].rsplit(":", 1)[1] for t in mine}

    assert cadence(first) == {"day3"}  # day 7 is two days away: beyond the 24 h horizon
    assert quiet.summary["leads"] == 0  # nothing changed, no sweep due
    assert later.summary["leads"] == first.summary["leads"]  # the daily sweep reads all
    assert cadence(later) == {"day7"}  # due in 12 h now, though the lead never changed
    # The earlier step's open task is left as it is.
    day3 = next(t for t in first.tasks if t["record_id"] == lead and t["rule"] == "cadence")
    known = context.store.task_keys_known([day3["key"]])[day3["key"]]
    (task,) = sf.read_by_ids("Task", [known.task_id or ""], ["Status"])
    assert task.fields["Status"] == "Not Started" and known.status == "created"
