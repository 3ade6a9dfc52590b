"""Full reconcile: read both sides whole, compare through the mapping, report, optionally repair.

Public API: `reconcile_and_report(...)` (the command), `reconcile(job, run_id, ...) ->
Reconciled`, `fill_report(report, job, done)`, `add_writes(report, job, plan, tally)`,
`run_reported(store, report, connectors, files, work)`.

Cursors are neither trusted nor moved: every pair is read whole through the list
endpoints (`sync.reconcile_shards`: `read_all`, only mapped fields, each API object
once; no search, so HubSpot's search lag and limits do not apply; a large pair is cut
into shards identity never needs to join), partners and merges are resolved as the
sync does (`sync.syncjob.partners` / `missing`), and `PairPlanner` matches through the
state store's links and diffs against its bases; company associations HubSpot lacks
are planned as the sync plans them (`sync.reconcile_associations`). The repair is the
sync's own path: the plan goes through `sync.apply.apply_plan` and the agreed bases
through `finish_sync`. While each pair is read, its persons feed the SLA counters, so the
report's SLA figures cost no extra API call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from integrations.base import Connector
from rules.engine import compile_rules
from rules.loader import load_rules
from sync.apply import apply_plan
from sync.apply_writes import Tally
from sync.field_times import connector_reader
from sync.gather import PairRead
from sync.job import PAIRS, Job, open_job
from sync.mapping import SIDES, Side
from sync.plan import Plan, new_plan
from sync.planner import GONE_KIND, PairPlanner
from sync.reconcile_associations import KeptEnds, plan_reconciled, referenced_pairs
from sync.reconcile_shards import read_shards
from sync.report import ApiTally, ObjectTally, Rejection, Report, close_run, exit_code_for
from sync.rules_systems import read_owners
from sync.sla import SlaCounter, add_sla, open_tasks
from sync.store import StateStore
from sync.syncjob import SyncOutcome, finish_sync, missing, partners

Progress = Callable[[str], None]
OTHER: dict[str, Side] = {"salesforce": "hubspot", "hubspot": "salesforce"}
REJECTED_EXIT = 1
PLAN_TTL = timedelta(hours=6)  # a reconcile's plan is applied at once, never saved
PLAN_ITEMS = ("updates", "creates", "links", "review", "associations")
DROPPED_WHEN_DRY = (
    "updates",
    "creates",
    "links",
    "associations",
)  # counted, then let go; review is reported
SLA_VARIANTS = {"salesforce": ("Lead",), "hubspot": ("contacts",)}  # where new leads live


@dataclass
class Reconciled:
    """A reconcile's plan (whole only when it is applied), figures per pair, what apply did."""

    outcome: SyncOutcome
    tallies: dict[str, ObjectTally] = field(default_factory=dict)
    tally: Tally | None = None
    kept: KeptEnds = field(default_factory=KeptEnds)  # a dry reconcile's association ends


def _feed_sla(read: PairRead, counters: Mapping[Side, SlaCounter]) -> None:
    for system, counter in counters.items():
        for record_id, seen in read.seen[system].items():
            if seen.conv.variant in SLA_VARIANTS.get(system, ()):
                counter.add(seen.values, record_id, system)


def _reconcile_pair(
    job: Job, pair: str, done: Reconciled, sla: Mapping[Side, SlaCounter] | None, keep: bool
) -> None:
    """Read one pair whole, match and diff it shard by shard, and count what it plans.

    `keep`: keep the plan items and agreed bases, to apply and store them; a dry
    reconcile only counts them, so it never holds a whole first-run plan.
    """
    plan = done.outcome.plan
    tally = done.tallies.setdefault(pair, ObjectTally())
    target = pair in referenced_pairs(job)
    for gatherer in read_shards(job, pair):
        starts = {name: len(getattr(plan, name)) for name in PLAN_ITEMS}
        partners(job, gatherer)
        merges, vanished = missing(job, gatherer)
        planner = PairPlanner(
            job.compiled, job.store, gatherer.result, plan, connector_reader(job.connectors)
        )
        planned = planner.run(merges, vanished, True)
        kept = None if keep else done.kept
        tally.associations += plan_reconciled(job, gatherer.result, plan, starts, kept)
        if pair == "person" and sla:
            _feed_sla(gatherer.result, sla)
        tally.matched += planned.matched
        tally.in_sync += planned.in_sync
        _count(plan, starts, tally)
        if keep:
            done.outcome.agreed.update(planned.agreed)
        else:
            if target:
                done.kept.keep(plan, starts)
            for name in DROPPED_WHEN_DRY:
                del getattr(plan, name)[starts[name] :]


def _count(plan: Plan, starts: Mapping[str, int], tally: ObjectTally) -> None:
    """Figures of the plan items added since `starts` (planned, before any write)."""
    for update in plan.updates[starts["updates"] :]:
        tally.updated[update.system] += 1
        tally.conflicts += sum(1 for c in update.changes if c.conflict)
    for create in plan.creates[starts["creates"] :]:
        tally.created[create.system] += 1
        tally.only_in[OTHER[create.system]] += 1
    kinds = Counter(item.kind for item in plan.review[starts["review"] :])
    tally.conflicts += kinds["conflict"]
    tally.duplicates += kinds["duplicate"]
    tally.fuzzy += kinds["fuzzy"]


def reconcile(
    job: Job,
    run_id: int | None,
    *,
    apply: bool = False,
    sla: Mapping[Side, SlaCounter] | None = None,
    progress: Progress | None = None,
    keep_plan: bool = False,
) -> Reconciled:
    """Compare every pair read whole; with `apply`, repair the drift through the sync's apply.

    Args:
        job: from `sync.job.open_job`.
        run_id: the run that journals the repairs (required with `apply`).
        apply: write the repairs; otherwise nothing is written anywhere.
        sla: SLA counters per system, fed with the persons read.
        progress: called with a short line as each pair is read and planned.
        keep_plan: keep every plan item of a dry reconcile too (by default it keeps
            only the review items and link moves, and counts the rest).

    Raises:
        CrmError: a CRM stopped the run; repairs already written stay journaled.
    """
    done = Reconciled(SyncOutcome(new_plan(job.now, PLAN_TTL, kind="reconcile")))
    for pair in PAIRS:
        if progress:
            progress(f"reading every {pair} record on both sides")
        _reconcile_pair(job, pair, done, sla, keep=apply or keep_plan)
    plan = done.outcome.plan
    if apply:
        if run_id is None:
            raise ValueError("a reconcile that repairs needs a run id for its journal")
        if progress:
            progress(f"repairing: {len(plan.updates)} updates, {len(plan.creates)} creates")
        done.tally = apply_plan(job, plan, run_id)
        finish_sync(job, done.outcome)
    return done


def _pairs(job: Job) -> dict[tuple[str, str], str]:
    return {(c.system, c.variant): c.pair for c in job.compiled.converters.values()}


def add_writes(report: Report, job: Job, plan: Plan, tally: Tally | None) -> None:
    """Count a plan's updates, creates and associations per pair and system, and departures.

    With `tally` (the plan was applied) records the CRM refused are counted as
    rejected instead of updated or created, and listed with their reason.
    """
    pair_of = _pairs(job)
    for update in plan.updates:
        counts = report.tally(pair_of.get((update.system, update.object), update.object))
        counts.conflicts += sum(1 for c in update.changes if c.conflict)
        counts.updated[update.system] += 1
    for create in plan.creates:
        counts = report.tally(pair_of.get((create.system, create.object), create.object))
        counts.created[create.system] += 1
    for item in plan.associations:
        report.tally(
            pair_of.get((item.system, item.from_object), item.from_object)
        ).associations += 1
    _refused(report, job, plan, tally)
    _count_departures(report, plan)


def _refused(report: Report, job: Job, plan: Plan, tally: Tally | None) -> None:
    """Move what the CRMs refused from updated/created to rejected, and list it."""
    pair_of = _pairs(job)
    rejections = [Rejection(**r) for r in (tally.rejected if tally else [])]
    updated = {(u.system, u.record_id) for u in plan.updates}
    for r in rejections:
        counts = report.tally(pair_of.get((r.system, r.object), r.object))
        counts.rejected += 1
        moved = counts.updated if (r.system, r.record_id) in updated else counts.created
        moved[r.system] = max(0, moved[r.system] - 1)
    report.rejections.extend(rejections)


def _count_departures(report: Report, plan: Plan) -> None:
    """Records that left a CRM: deleted (unlinked, reported), erased (tombstoned), merged."""
    for item in plan.review:
        if item.kind == GONE_KIND:
            how = str(item.detail.get("how") or "erased")
            report.deletions[how] = report.deletions.get(how, 0) + 1
    merged = sum(1 for move in plan.moves if move.reason == "merged")
    report.deletions["merged"] = report.deletions.get("merged", 0) + merged


def fill_report(report: Report, job: Job, done: Reconciled) -> None:
    """Add a reconcile's figures: per-pair matches and drift, refusals, review, departures."""
    for pair, tally in done.tallies.items():
        report.tally(pair).add(tally)
    plan = done.outcome.plan
    _refused(report, job, plan, done.tally)
    _count_departures(report, plan)
    report.review.extend(
        {
            "kind": item.kind,
            "reason": item.reason,
            "records": [f"{system}:{record_id}" for system, record_id in item.records],
        }
        for item in plan.review
    )


def reconcile_and_report(
    store: StateStore,
    connectors: Mapping[Side, Connector],
    now: datetime,
    *,
    apply: bool,
    files: tuple[Path, Path | None],
    config: tuple[Path | None, Path | None] = (None, None),
    progress: Progress | None = None,
) -> tuple[Report, dict[str, Path]]:
    """`crmops reconcile`: compare (and with `apply` repair), then save the report.

    Args:
        store: the state store (bound to the connected org and portal on first use).
        connectors: both CRMs.
        now: the run's moment.
        apply: repair the drift through the sync's apply path.
        files: (reports directory, explicit HTML path or None).
        config: (mapping file, rules file); None for the shipped ones.
        progress: called with a short line per step.

    Raises:
        CrmError: a CRM stopped the run (recorded as failed, its report saved first).
    """
    mapping_file, rules_file = config
    job = open_job(store, connectors, now, mapping_file=mapping_file, rules_file=rules_file)
    rules = compile_rules(load_rules(rules_file))
    report = Report("reconcile", now, applied=apply, run_id=store.start_run("reconcile"))
    sla = {system: SlaCounter(rules, now) for system in SIDES}

    def work() -> None:
        # HubSpot's open tasks come from searches, paced at its search rate: read them
        # beside the list reads instead of after them.
        with ThreadPoolExecutor(max_workers=1) as pool:
            hubspot_tasks = pool.submit(open_tasks, connectors["hubspot"])
            done = reconcile(job, report.run_id, apply=apply, sla=sla, progress=progress)
            fill_report(report, job, done)
            owners = {system: read_owners(connectors[system]).emails for system in SIDES}
            add_sla(report, connectors, sla, owners, {"hubspot": hubspot_tasks.result()})

    paths = run_reported(store, report, connectors, files, work)
    return report, paths


def run_reported(
    store: StateStore,
    report: Report,
    connectors: Mapping[Side, Connector],
    files: tuple[Path, Path | None],
    work: Callable[[], None],
) -> dict[str, Path]:
    """Do `work`, then save the report and close its run, also when a CRM stopped it.

    Exit code 1 when records were rejected; a failure is recorded (status `failed`,
    exit 2 or 3) and re-raised after its report is saved.
    """
    before = {system: dict(c.usage().calls) for system, c in connectors.items()}

    def count_calls() -> None:
        for system, connector in connectors.items():
            report.api[system] = ApiTally.since(connector.usage(), before[system])

    try:
        work()
    except Exception as error:
        report.status, report.exit_code = "failed", exit_code_for(error)
        report.notes.append(f"stopped: {error}")
        count_calls()
        close_run(store, report, *files)
        raise
    count_calls()
    rejected = report.rejections or any(t.rejected for t in report.rules.values())
    report.exit_code = REJECTED_EXIT if rejected else 0
    report.status = "partial" if rejected else "ok"
    return close_run(store, report, *files)
