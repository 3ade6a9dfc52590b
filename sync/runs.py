"""Recorded runs of sync and apply: one call from the CLI, a run record, a report back.

Public API: `sync_run(...)`, `apply_saved(...)`, `RunReport`, `api_calls(connectors)`.
A run is recorded (start, finish, status, exit code, API calls per system and
endpoint, a summary) unless it is a dry run or only saves a plan. A CRM error stops
the run: the record says `failed` with exit code 3 and the error is raised on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from integrations.base import Connector
from integrations.errors import CrmError
from sync.apply import ApplyOptions, apply_plan
from sync.apply_writes import Tally
from sync.job import PAIRS, Job, open_job
from sync.mapping import Side
from sync.plan import Plan
from sync.store import StateStore
from sync.syncjob import finish_sync, outcome_of, plan_sync, saved_finish

OK, REJECTED, UNAVAILABLE = 0, 1, 3
Progress = Callable[[str], None]


@dataclass
class RunReport:
    """What a run did: its plan, what apply did, API calls per system, and the exit code."""

    plan: Plan
    run_id: int | None = None
    tally: Tally | None = None
    calls: dict[str, dict[str, int]] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    plan_file: str | None = None
    exit_code: int = OK

    def as_json(self) -> dict[str, Any]:
        """The report for `--json`."""
        return {
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "plan": self.plan.summary(),
            "changes": [list(row) for row in self.plan.rows()],
            "applied": asdict(self.tally) if self.tally else None,
            "counts": self.counts,
            "api_calls": {s: sum(c.values()) for s, c in self.calls.items()},
            "api_calls_by_endpoint": self.calls,
            "plan_file": self.plan_file,
        }


def api_calls(connectors: Mapping[Side, Connector]) -> dict[str, dict[str, int]]:
    """Calls made so far per system, per endpoint."""
    return {system: dict(c.usage().calls) for system, c in connectors.items()}


def _summary(report: RunReport) -> dict[str, Any]:
    summary = {"plan": report.plan.summary(), "counts": report.counts}
    if report.tally is not None:
        summary["applied"] = asdict(report.tally)
    return summary


def _recorded(
    store: StateStore,
    connectors: Mapping[Side, Connector],
    kind: str,
    work: Callable[[int], RunReport],
) -> RunReport:
    """Run `work` under a run record; a CRM error marks the run failed (exit 3)."""
    run_id = store.start_run(kind)
    try:
        report = work(run_id)
    except CrmError:
        store.finish_run(run_id, "failed", UNAVAILABLE, api_calls(connectors))
        raise
    except BaseException:
        store.finish_run(run_id, "crashed", UNAVAILABLE, api_calls(connectors))
        raise
    report.run_id = run_id
    report.calls = api_calls(connectors)
    status = "ok" if report.exit_code == OK else "partial"
    store.finish_run(run_id, status, report.exit_code, report.calls, _summary(report))
    return report


def _exit_code(tally: Tally) -> int:
    return REJECTED if tally.rejected else OK


def sync_run(
    store: StateStore,
    connectors: Mapping[Side, Connector],
    now: datetime,
    *,
    pairs: Sequence[str] = PAIRS,
    dry_run: bool = False,
    plan_out: Path | None = None,
    mapping_file: Path | None = None,
    rules_file: Path | None = None,
    options: ApplyOptions | None = None,
    full: bool = False,
) -> RunReport:
    """`crmops sync`: plan, then (unless a dry run or saving the plan) apply and advance.

    Raises:
        StoreBoundElsewhere, ConfigFileError: configuration problems (exit 2).
        CrmError: a CRM unreachable or out of budget (exit 3).
    """
    job = open_job(
        store,
        connectors,
        now,
        mapping_file=mapping_file,
        rules_file=rules_file,
        pairs=pairs,
        lazy=True,
    )
    outcome = plan_sync(job, pairs, full=full)
    report = RunReport(outcome.plan, counts=outcome.counts)
    if plan_out is not None:
        plan_out.parent.mkdir(parents=True, exist_ok=True)
        outcome.plan.finish = saved_finish(outcome)
        plan_out.write_text(outcome.plan.to_json(), encoding="utf-8")
        store.add_artifact("plan", str(plan_out))
        report.plan_file = str(plan_out)
    if dry_run or plan_out is not None:
        report.calls = api_calls(connectors)
        return report

    def work(run_id: int) -> RunReport:
        report.tally = apply_plan(job, outcome.plan, run_id, options)
        finish_sync(job, outcome)
        report.exit_code = _exit_code(report.tally)
        return report

    return _recorded(store, connectors, "sync", work)


def apply_saved(
    store: StateStore,
    connectors: Mapping[Side, Connector],
    plan_file: Path,
    now: datetime,
    *,
    mapping_file: Path | None = None,
    rules_file: Path | None = None,
    options: ApplyOptions | None = None,
) -> RunReport:
    """`crmops apply PLAN`: execute a saved plan (refused once expired).

    Raises:
        PlanFormatError: not a plan file. PlanExpired: past its expiry.
        CrmError: as for `sync_run`.
    """
    from sync.apply import PlanExpired

    plan = Plan.from_json(plan_file.read_text(encoding="utf-8"))
    if plan.expired(now):
        raise PlanExpired(
            f"{plan_file}: the plan expired at {plan.expires_at.isoformat()}; "
            "run crmops sync --plan-out again"
        )
    job: Job = open_job(store, connectors, now, mapping_file=mapping_file, rules_file=rules_file)
    report = RunReport(plan, plan_file=str(plan_file))

    def work(run_id: int) -> RunReport:
        report.tally = apply_plan(job, plan, run_id, options, at=now)
        # Agreed bases, cursors and versions saved with a sync plan: as a direct sync.
        finish_sync(job, outcome_of(plan))
        report.exit_code = _exit_code(report.tally)
        return report

    return _recorded(store, connectors, "apply", work)


def undo_saved(
    store: StateStore,
    connectors: Mapping[Side, Connector],
    run_id: int,
    dry_run: bool,
    now: datetime,
    *,
    mapping_file: Path | None = None,
    rules_file: Path | None = None,
) -> tuple[Any, dict[str, dict[str, int]]]:
    """`crmops undo RUN`: reverse a run (recorded as an `undo` run unless a dry run).

    Returns:
        The `sync.undo.UndoReport` and the API calls per system and endpoint.
    """
    from sync.undo import undo_run

    job = open_job(store, connectors, now, mapping_file=mapping_file, rules_file=rules_file)
    if dry_run:
        return undo_run(job, run_id, True), api_calls(connectors)
    holder: dict[str, Any] = {}

    def work(undo_id: int) -> RunReport:
        holder["report"] = report = undo_run(job, run_id, False, undo_id)
        return RunReport(job_plan(job), exit_code=REJECTED if report.failed else OK)

    _recorded(store, connectors, "undo", work)
    return holder["report"], api_calls(connectors)


def job_plan(job: Job) -> Plan:
    """An empty plan stamped with the job's time (undo runs record no plan)."""
    from sync.plan import new_plan

    return new_plan(job.now)
