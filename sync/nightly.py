"""The nightly job: lease, sync, rules on both CRMs, reconcile with repairs, report, run record.

Public API: `NightlyInputs`, `run_nightly(inputs) -> NightlyResult`, `Locked`,
`LeaseLost`, `LEASE_TTL`.

One nightly run per org/portal pair at a time: the run holds a lease (an expiring
lock in the state store, renewed between steps), so a second run exits at once and
says who holds it until when, and a crashed run blocks the next night only until
its lease expires. The run's own record holds its API calls and the report's figures;
the rules step records its own run too (`crmops runs` lists both).

The sync runs before the rules, so the rules decide on records as both CRMs hold them
after the day's changes have been carried across. The order is not needed for
identity: stable ids a rules run gave the two sides of one person before any sync
matched them are merged when the sync does. The rules' writes are then carried
across by the reconcile, which reads both sides whole after them and repairs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from integrations.base import Connector
from rules.engine import compile_rules
from rules.loader import load_rules
from sync.apply import apply_plan
from sync.job import Job, open_job
from sync.lease import Lease, default_holder, lease_name
from sync.mapping import Side, load_mapping
from sync.reconcile import add_writes, fill_report, reconcile, run_reported
from sync.report import Rejection, Report, RulesTally
from sync.rulesjob import RulesContext, RulesRunResult, run_rules
from sync.sla import SlaCounter, add_sla
from sync.store import StateStore
from sync.syncjob import finish_sync, plan_sync

JOB = "nightly"
SYSTEMS: tuple[Side, ...] = ("salesforce", "hubspot")
LEASE_TTL = timedelta(hours=2)  # renewed after every step; a crashed run frees it this late
Progress = Callable[[str], None]


class Locked(RuntimeError):
    """Another nightly run holds the lease of this org/portal pair."""

    exit_code = 3  # could not run now; see `sync.report.exit_code_for`

    def __init__(self, name: str, lease: Lease | None) -> None:
        holder = f"{lease.holder} until {lease.expires.isoformat()}" if lease else "another run"
        super().__init__(
            f"another nightly run holds the lock {name}: {holder}; exiting without doing "
            "anything (the lock expires on its own if that run died)"
        )
        self.lease = lease


@dataclass
class NightlyInputs:
    """What one nightly run needs: store, connectors, files, where reports go, and `now`."""

    store: StateStore
    connectors: Mapping[Side, Connector]
    reports_dir: Path
    now: datetime
    rules_file: Path | None = None
    mapping_file: Path | None = None
    holder: str = field(default_factory=default_holder)
    progress: Progress | None = None


@dataclass
class NightlyResult:
    """The run's report, where it was saved, and the process exit code."""

    report: Report
    paths: dict[str, Path]
    exit_code: int


def _say(inputs: NightlyInputs, text: str) -> None:
    if inputs.progress is not None:
        inputs.progress(text)


def run_nightly(inputs: NightlyInputs) -> NightlyResult:
    """Run the whole nightly job once.

    Raises:
        Locked: another run holds the lease (nothing was done, no run recorded).
        StoreBoundElsewhere, ConfigFileError, SettingsError: configuration (exit 2).
        CrmError: a CRM stopped the run; the run is recorded as failed with its report.
    """
    org = inputs.connectors["salesforce"].identity()
    portal = inputs.connectors["hubspot"].identity()
    inputs.store.bind(org, portal)
    name = lease_name(JOB, org, portal)
    if not inputs.store.leases.acquire(name, inputs.holder, LEASE_TTL, inputs.now):
        raise Locked(name, inputs.store.leases.holder(name))
    try:
        return _locked_run(inputs, name)
    finally:
        inputs.store.leases.release(name, inputs.holder)


def _locked_run(inputs: NightlyInputs, lease: str) -> NightlyResult:
    store = inputs.store
    run_id = store.start_run(JOB)
    report = Report(JOB, inputs.now, applied=True, run_id=run_id)
    paths = run_reported(
        store,
        report,
        inputs.connectors,
        (inputs.reports_dir, None),
        lambda: _steps(inputs, lease, run_id, report),
    )
    return NightlyResult(report, paths, report.exit_code)


class LeaseLost(Locked):
    """This run's lease expired between steps and another run took it: stop, do no more."""


def _renew(inputs: NightlyInputs, lease: str) -> None:
    if not inputs.store.leases.renew(lease, inputs.holder, LEASE_TTL):
        raise LeaseLost(lease, inputs.store.leases.holder(lease))


def _steps(inputs: NightlyInputs, lease: str, run_id: int, report: Report) -> None:
    rules = compile_rules(load_rules(inputs.rules_file))
    job = open_job(
        inputs.store,
        inputs.connectors,
        inputs.now,
        mapping_file=inputs.mapping_file,
        rules_file=inputs.rules_file,
    )
    _sync(inputs, job, run_id, report)
    mapping = load_mapping(inputs.mapping_file)
    context = RulesContext(dict(inputs.connectors), inputs.store, rules, mapping)
    for system in SYSTEMS:
        _say(inputs, f"applying the SOP rules on {system}")
        _renew(inputs, lease)  # before each step that writes: never write without the lease
        _add_rules(report, system, run_rules(context, system, dry_run=False, now=inputs.now))
    _renew(inputs, lease)
    sla: dict[Side, SlaCounter] = {s: SlaCounter(rules, inputs.now) for s in SYSTEMS}
    done = reconcile(job, run_id, apply=True, sla=sla, progress=inputs.progress)
    fill_report(report, job, done)
    _renew(inputs, lease)
    _say(inputs, "counting SLA compliance and overdue tasks")
    _add_sla(report, job, context, sla)


def _sync(inputs: NightlyInputs, job: Job, run_id: int, report: Report) -> None:
    """The incremental sync, journaled under the nightly run (so `undo` reverses the night)."""
    _say(inputs, "syncing what changed since the last run")
    outcome = plan_sync(job)
    add_writes(report, job, outcome.plan, apply_plan(job, outcome.plan, run_id))
    finish_sync(job, outcome)


def _add_rules(report: Report, system: str, result: RulesRunResult) -> None:
    """One CRM's rules run summary (`sync.rules_report.summarise`) as report figures."""
    summary: dict[str, Any] = result.summary
    report.rules[system] = RulesTally(
        leads=int(summary.get("leads", 0)),
        temperatures=dict(summary.get("temperature", {})),
        stage_moves=dict(summary.get("stage_moves", {})),
        tasks_created=dict(summary.get("tasks", {})),
        fields_written=int(summary.get("fields_written", 0)),
        rejected=int(summary.get("rejected", 0)),
    )
    report.rejections.extend(
        Rejection(system, r["object"], r["record_id"], str((r["detail"] or {}).get("reason", "")))
        for r in result.reviews
        if r["kind"] == "rejected"
    )


def _add_sla(
    report: Report, job: Job, context: RulesContext, sla: Mapping[Side, SlaCounter]
) -> None:
    owners = {system: context.prepare(system)[0].emails for system in sla}
    add_sla(report, job.connectors, sla, owners)


__all__ = ["LEASE_TTL", "LeaseLost", "Locked", "NightlyInputs", "NightlyResult", "run_nightly"]
