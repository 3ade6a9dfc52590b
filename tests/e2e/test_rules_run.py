"""The rules run against both sandbox CRMs: tasks once, crash and lost answers, batches."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sync.rules_systems import SPECS
from sync.rulesjob import RulesHooks, run_rules
from tests.e2e import rules_support as rs


class Crash(RuntimeError):
    """Injected between two write batches."""


def _each_once(tasks: dict[str, Any]) -> None:
    for system, keys in tasks.items():
        assert keys, f"no crmops tasks in {system}"
        twice = [k for k, n in keys.items() if n > 1]
        assert twice == [], f"{system} tasks made twice: {twice}"


def test_run_twice_creates_each_task_once(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    first = run_rules(context, "both", False, rs.now())
    made = rs.crmops_tasks(running)
    second = run_rules(context, "both", False, rs.now(), full=True)

    assert first.exit_code == 0 and first.summary["tasks_total"] > 0
    assert sum(sum(c.values()) for c in made.values()) == first.summary["tasks_total"]
    assert second.summary["tasks_total"] == 0
    assert second.summary["fields_written"] == 0 and second.changes == []
    assert rs.crmops_tasks(running) == made
    _each_once(made)
    # The record part of every key is the stable id the store linked the record to.
    keys = {t.key: t for t in context.store.tasks_of_run(first.run_id or 0)}
    assert all(k.split(":")[1] == t.stable_id for k, t in keys.items())


def test_lost_answers_and_a_crash_then_rerun_lose_nothing(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    rs.set_faults(running, lost_answer_fraction=0.5, seed=3)
    batches: list[tuple[str, str]] = []

    def crash_after_tasks(system: str, object: str, size: int) -> None:
        batches.append((system, object))
        if object in ("Task", "tasks") and system == "hubspot":
            raise Crash("injected between batches")

    with pytest.raises(Crash):
        run_rules(context, "both", False, rs.now(), hooks=RulesHooks(after_batch=crash_after_tasks))
    assert context.store.runs(kind="rules")[0].status == "failed"
    # Lost answers made the connectors resend: one batch of tasks took more than one call.
    assert rs.counts(running)["salesforce"]["composite.sobjects.upsert"] > 1
    rerun = run_rules(context, "both", False, rs.now())
    rs.set_faults(running, lost_answer_fraction=0.0)
    check = run_rules(context, "both", True, rs.now(), full=True)

    assert ("salesforce", "Lead") in batches and rerun.exit_code == 0
    _each_once(rs.crmops_tasks(running))
    # Nothing is left to write: every field update and task of the crashed run was made.
    assert check.changes == [] and check.tasks == []
    planned = context.store.journal_for_run(rerun.run_id or 0, state="planned")
    assert planned == []


def test_writes_go_out_in_full_batches(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    result = run_rules(context, "both", False, rs.now())
    calls = rs.counts(running)

    changed: dict[str, dict[str, int]] = {"salesforce": {}, "hubspot": {}}
    for row in {(c["system"], c["object"], c["record_id"]) for c in result.changes}:
        changed[row[0]][row[1]] = changed[row[0]].get(row[1], 0) + 1
    tasks = {s: sum(1 for t in result.tasks if t["system"] == s) for s in changed}
    assert tasks["salesforce"] and tasks["hubspot"] and changed["salesforce"]
    sf, hs = calls["salesforce"], calls["hubspot"]
    assert sf["composite.sobjects.update"] <= sum(
        rs.at_most_full_batches(n, "salesforce") for n in changed["salesforce"].values()
    )
    assert sf["composite.sobjects.upsert"] <= rs.at_most_full_batches(
        tasks["salesforce"], "salesforce"
    )
    assert hs["objects.batch.update"] <= sum(
        rs.at_most_full_batches(n, "hubspot") for n in changed["hubspot"].values()
    )
    assert hs["objects.batch.upsert"] <= rs.at_most_full_batches(tasks["hubspot"], "hubspot")
    # One association call per target type (contacts, deals) per batch of tasks.
    assert hs.get("associations.batch.default", 0) <= 2 * rs.at_most_full_batches(
        tasks["hubspot"], "hubspot"
    )


def test_dry_run_only_reads(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    result = run_rules(context, "both", True, rs.now())

    assert result.run_id is None and result.changes and result.tasks
    assert rs.writes(running) == {"salesforce": 0, "hubspot": 0}
    assert set(rs.counts(running)["salesforce"]) == {"query"}
    store = context.store
    assert store.runs() == [] and store.links_of("salesforce", "Lead") == []
    assert store.reviews() == [] and store.cursor("salesforce", "rules:Lead") is None
    assert rs.crmops_tasks(running) == {"salesforce": {}, "hubspot": {}}


def test_unmapped_statuses_and_converted_leads(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    result = run_rules(context, "both", False, rs.now())

    unmapped = [r for r in result.reviews if r["kind"] == "unmapped_status"]
    by_system = {(r["system"], r["detail"]["status"]) for r in unmapped}
    assert by_system == {("salesforce", "Nurturing"), ("hubspot", "IN_PROGRESS")}
    stored = context.store.reviews(kind="unmapped_status")
    assert {r.record_id for r in stored} == {r["record_id"] for r in unmapped}
    sf = context.connectors["salesforce"]
    converted = {r.id for r in sf.read_all("Lead", ["IsConverted"]) if r.fields["IsConverted"]}
    written = {e.record_id for e in context.store.journal_for_run(result.run_id or 0)}
    assert converted and result.summary["read_only"] >= len(converted)
    assert not converted & written
    assert not converted & {t["record_id"] for t in result.tasks}


def test_a_crash_between_small_batches_leaves_every_batch_settled(
    make_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for system, spec in list(SPECS.items()):
        monkeypatch.setitem(SPECS, system, replace(spec, batch_size=4))
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    seen: list[tuple[str, str, int]] = []

    def crash_on_second_lead_batch(system: str, object: str, size: int) -> None:
        seen.append((system, object, size))
        if [s[:2] for s in seen].count(("salesforce", "Lead")) == 2:
            raise Crash("injected between batches")

    with pytest.raises(Crash):
        run_rules(context, "both", False, rs.now(), hooks=RulesHooks(crash_on_second_lead_batch))
    crashed = context.store.runs(kind="rules")[0]
    journal = context.store.journal_for_run(crashed.id)
    calls = rs.counts(running)["salesforce"]
    rerun = run_rules(context, "both", False, rs.now())
    check = run_rules(context, "both", True, rs.now(), full=True)

    assert all(size <= 4 for _, _, size in seen)
    # Two Lead batches of four were journaled and settled; nothing was left half-written.
    assert {e.state for e in journal} == {"written"}
    assert len({e.record_id for e in journal}) == 8
    assert calls["composite.sobjects.update"] == 2
    assert rerun.exit_code == 0 and check.changes == [] and check.tasks == []
    _each_once(rs.crmops_tasks(running))


def test_routing_task_owners_due_dates_and_the_run_record(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    result = run_rules(context, "both", False, rs.now())
    sf = context.connectors["salesforce"]
    users = {u.id: u.fields for u in sf.read_all("User", ["Email", "IsActive"])}

    routed = [e for e in context.store.journal_for_run(result.run_id or 0) if e.field == "OwnerId"]
    assert routed and all(e.before not in users or not users[e.before]["IsActive"] for e in routed)
    assert all(users[e.after]["IsActive"] for e in routed)
    owner_of = {e.record_id: e.after for e in routed}
    sf_tasks = [t for t in result.tasks if t["system"] == "salesforce"]
    stored = {t.fields["Crmops_Key__c"]: t.fields for t in sf.read_all(
        "Task", ["Crmops_Key__c", "OwnerId", "ActivityDate", "Priority", "Subject"])}  # fmt: skip
    for task in sf_tasks:
        native = stored[task["key"]]
        # The due date is the org's (America/New_York) calendar date of the due time.
        assert native["ActivityDate"] == task["due"][:10]
        assert (native["OwnerId"], native["Priority"]) == (task["owner_id"], task["priority"])
        assert users[native["OwnerId"]]["IsActive"]
        if task["record_id"] in owner_of and task["rule"] in ("hot_lead", "first_response"):
            assert native["OwnerId"] == owner_of[task["record_id"]]
    run = context.store.run(result.run_id or 0)
    assert run is not None and run.status == "ok" and run.exit_code == 0
    assert set(run.calls) == {"salesforce", "hubspot"} and run.summary is not None
    assert run.summary["temperature"] == result.summary["temperature"]
    assert sum(run.summary["tasks"].values()) == len(result.tasks)
    assert context.store.reviews(kind="missed_task")


def test_summary_has_bands_stage_moves_and_tasks_by_rule(make_sandbox: Any, tmp_path: Path) -> None:
    """What `crmops demo` shows: leads per band, stage moves, tasks created by rule."""
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    dry = run_rules(context, "both", True, rs.now())
    done = run_rules(context, "both", False, rs.now())

    bands = ["Extremely Hot", "Hot", "Warm", "Cool", "Cold"]
    for summary in (dry.summary, done.summary):
        assert list(summary["temperature"]) == bands  # every band, in the file's order
        assert sum(summary["temperature"].values()) == summary["leads"] > 0
        per = summary["by_system"]
        assert set(per) == {"salesforce", "hubspot"}
        for name in ("temperature", "stage_moves", "tasks"):
            total: dict[str, int] = {}
            for system in per.values():
                for key, n in system[name].items():
                    total[key] = total.get(key, 0) + n
            assert {k: n for k, n in total.items() if n} == {
                k: n for k, n in summary[name].items() if n
            }
    assert done.summary["stage_moves"] and all(" -> " in m for m in done.summary["stage_moves"])
    by_rule: dict[str, int] = {}
    for task in done.tasks:
        by_rule[task["rule"]] = by_rule.get(task["rule"], 0) + 1
    assert done.summary["tasks"] == by_rule == dry.summary["tasks"]
    assert done.summary["stage_moves"] == dry.summary["stage_moves"]


def test_overlapping_runs_create_each_task_once(make_sandbox: Any, tmp_path: Path) -> None:
    """Two runs at once (say a watch and a nightly) on one state store: no task twice."""
    running = rs.start(make_sandbox)
    contexts = [rs.context(running, tmp_path / "state.db") for _ in range(2)]
    results: list[Any] = []
    errors: list[BaseException] = []
    started = threading.Barrier(2)

    def run(context: Any) -> None:
        started.wait()
        try:
            results.append(run_rules(context, "both", False, rs.now()))
        except BaseException as exc:  # reported below, with the other run's outcome
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in contexts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == [] and len(results) == 2
    _each_once(rs.crmops_tasks(running))
    again = run_rules(contexts[0], "both", False, rs.now())
    assert again.summary["tasks_total"] == 0
    _each_once(rs.crmops_tasks(running))


def test_salesforce_rating_follows_the_temperature(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    result = run_rules(context, "salesforce", False, rs.now())
    scored = sorted({c["record_id"] for c in result.changes if c["field"] == "Crmops_Score__c"})
    sf = context.connectors["salesforce"]

    leads = sf.read_by_ids("Lead", scored, ["Crmops_Temperature__c", "Rating"])

    rating = {"Extremely Hot": "Hot", "Hot": "Hot", "Warm": "Warm", "Cool": "Cold", "Cold": "Cold"}
    assert leads and {r.fields["Crmops_Temperature__c"] for r in leads} <= set(rating)
    assert all(r.fields["Rating"] == rating[r.fields["Crmops_Temperature__c"]] for r in leads)
