"""The rules run against the CRMs: read what changed, evaluate with one `now`, write back.

Public API::

    context = RulesContext.open(connectors, store)   # or RulesContext(..., compiled, mapping)
    result = run_rules(context, "both", dry_run=False, now=now)   # RulesRunResult

Per CRM and object (leads, then opportunities): read since the rules cursor (and
every record once per horizon, so tasks that time alone makes due are made),
link each record to a stable id, evaluate, plan only changed fields, then write
field updates (journaled), create tasks (keys recorded first) and defer an
opted-out lead's open outreach tasks, each in full batches. Review items
(unmapped statuses, missed tasks, refused records, owners not found) are stored
and listed in the result. The cursor is saved only after an object's writes
settled, so a crash means a rerun reads the same records again.

`has_won_deal` is derived for the leads read in each pass (sync/rules_deals.py).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from integrations.base import Connector, System
from rules.compiler import Compiled
from rules.engine import compile_rules
from rules.loader import load_rules
from sync.compiled import CompileContext, CompiledMapping, compile_mapping, stage_values_from_rules
from sync.mapping import Mapping as MappingFile
from sync.mapping import load_mapping
from sync.rules_pass import Collected, SystemPass
from sync.rules_plan import PlannedTask
from sync.rules_report import RulesRunResult, plan_rows, summarise, task_rows
from sync.rules_systems import SPECS, OwnerDirectory, read_owners
from sync.rules_write import AfterBatch, RulesWriter, WriteOutcome
from sync.store import StateStore

__all__ = ["RulesContext", "RulesHooks", "RulesRunResult", "run_rules", "systems_of"]

KINDS = ("lead", "opportunity")
CACHE_SECONDS = 3600.0  # owners and deal stages are read again after this long
FAILED_EXIT = 3


@dataclass
class RulesHooks:
    """Callbacks of a run: `after_batch` between write batches, `progress` per record."""

    after_batch: AfterBatch | None = None
    progress: Callable[[str, int, int], None] | None = None


@dataclass
class RulesContext:
    """Connectors, store and compiled rules for runs; caches owners and stage ids across passes.

    The caches (owners, deal stage ids, compiled mapping) are read once per context
    and again after `refresh_after` seconds, so `watch` pays for them once an hour.
    """

    connectors: dict[System, Connector]
    store: StateStore
    compiled: Compiled
    mapping: MappingFile
    owners: dict[str, OwnerDirectory] = field(default_factory=dict)
    stage_ids: dict[str, dict[str, str]] = field(default_factory=dict)
    refresh_after: float = CACHE_SECONDS
    _mapped: dict[str, CompiledMapping] = field(default_factory=dict, repr=False)
    _read_at: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        zone = ZoneInfo(self.compiled.rules.timezone)
        for connector in self.connectors.values():
            if hasattr(connector, "time_zone"):
                # Salesforce Task ActivityDate is a date in the org's zone.
                connector.time_zone = zone

    @classmethod
    def open(
        cls,
        connectors: dict[System, Connector],
        store: StateStore,
        rules_file: Path | None = None,
        mapping_file: Path | None = None,
    ) -> RulesContext:
        """Load and compile the rules and mapping files (defaults: the shipped ones).

        Raises:
            config.yamlfile.ConfigFileError: a file is invalid (every problem, file:line).
        """
        compiled = compile_rules(load_rules(rules_file))
        return cls(connectors, store, compiled, load_mapping(mapping_file))

    def prepare(self, system: System) -> tuple[OwnerDirectory, dict[str, str], CompiledMapping]:
        """Owners, deal stage ids and the compiled mapping of one CRM (cached `refresh_after` s)."""
        connector = self.connectors[system]
        if time.monotonic() - self._read_at.get(system, -math.inf) > self.refresh_after:
            # Read again now and then, so a long `watch` sees users deactivated since.
            for cache in (self.owners, self.stage_ids, self._mapped):
                cache.pop(system, None)
            self._read_at[system] = time.monotonic()
        if system not in self.owners:
            self.owners[system] = read_owners(connector)
        if system not in self.stage_ids:
            reader = getattr(connector, "deal_stage_ids", None)
            self.stage_ids[system] = dict(reader()) if reader is not None else {}
        if system not in self._mapped:
            context = CompileContext(
                stage_values=stage_values_from_rules(self.compiled.rules),
                deal_stage_ids=self.stage_ids[system],
                owner_values="native",
            )
            self._mapped[system] = compile_mapping(self.mapping, context)
        return self.owners[system], self.stage_ids[system], self._mapped[system]

    def calls(self) -> dict[str, Counter[str]]:
        """API calls so far per system and endpoint."""
        return {s: Counter(c.usage().calls) for s, c in self.connectors.items()}


def systems_of(crm: str) -> list[System]:
    """`salesforce`, `hubspot` or `both` as the list of systems."""
    if crm == "both":
        return ["salesforce", "hubspot"]
    if crm in SPECS:
        return [crm]  # type: ignore[list-item]
    raise ValueError(f"unknown CRM {crm!r}; expected salesforce, hubspot or both")


def _new_tasks(store: StateStore, collected: list[Collected]) -> list[PlannedTask]:
    """Tasks not made yet: keys the store knows as created (or closed) are never sent again.

    A stable id a sync merged into another since this run read its links is left for
    the next run, which keys its tasks by the kept id (and finds those already made).
    """
    tasks = {t.spec.key: t for c in collected for p in c.plans for t in p.tasks}
    known = store.task_keys_known(list(tasks))
    merged = store.resolve_entities([t.stable_id for t in tasks.values()])
    return [
        t
        for k, t in tasks.items()
        if (k not in known or known[k].status == "intent") and t.stable_id not in merged
    ]


def _apply(
    sp: SystemPass, writer: RulesWriter, collected: list[Collected], tasks: list[PlannedTask]
) -> None:
    """Write one CRM's plans: all its tasks, then fields per object, then deferrals.

    Tasks go first: a record whose fields were written is re-read only after the
    HubSpot search lag, so a crash must not leave it written but without its tasks.
    """
    writer.create_tasks(tasks)
    for each in collected:
        writer.update_records(each.object, each.plans)
    deferring = [p.item.stable_id for c in collected for p in c.plans if p.defer_outreach]
    if deferring:
        open_tasks = sp.store.open_outreach_tasks(deferring)
        keys = [k for ks in open_tasks.values() for k in ks if k.system == sp.spec.system]
        writer.defer_tasks(keys, sp.compiled.deferral_note)
    for each in collected:
        sp.save_cursor(each)


def _run_system(
    context: RulesContext,
    system: System,
    run_id: int | None,
    options: tuple[bool, bool, datetime],
    hooks: RulesHooks,
) -> tuple[list[Collected], list[PlannedTask], WriteOutcome]:
    dry_run, full, now = options
    owners, stage_ids, mapped = context.prepare(system)
    spec = SPECS[system]
    sp = SystemPass(
        context.store, context.connectors[system], spec, context.compiled, mapped,
        owners, stage_ids, now, dry_run, full,
    )  # fmt: skip
    collected = [sp.collect(kind) for kind in KINDS]
    if hooks.progress is not None:
        for each in collected:
            hooks.progress(f"{system} {each.object}", len(each.plans), len(each.plans))
    tasks = _new_tasks(context.store, collected)
    if run_id is None:
        return collected, tasks, WriteOutcome()
    writer = RulesWriter(context.store, run_id, sp.connector, spec, hooks.after_batch)
    context.store.add_reviews([r for c in collected for p in c.plans for r in p.reviews], run_id)
    _apply(sp, writer, collected, tasks)
    context.store.add_reviews(writer.outcome.rejected, run_id)
    return collected, tasks, writer.outcome


def run_rules(
    context: RulesContext,
    crm: str,
    dry_run: bool,
    now: datetime,
    *,
    full: bool = False,
    hooks: RulesHooks | None = None,
) -> RulesRunResult:
    """Apply the rules to the CRMs named by `crm` at `now` (one `now` for every record).

    Raises:
        integrations.errors.CrmError: a CRM could not be reached or refused the whole call;
            the run is recorded as failed, journaled writes stay as they are.
    """
    hooks = hooks or RulesHooks()
    systems = systems_of(crm)
    start_calls = context.calls()
    run_id = None if dry_run else context.store.start_run("rules")
    results: dict[str, tuple[list[Collected], list[PlannedTask], WriteOutcome]] = {}
    try:
        for system in systems:
            results[system] = _run_system(context, system, run_id, (dry_run, full, now), hooks)
    except BaseException:
        if run_id is not None:
            calls = _calls_since(context, start_calls)
            context.store.finish_run(run_id, "failed", FAILED_EXIT, calls, {"error": "stopped"})
        raise
    calls = _calls_since(context, start_calls)
    bands = [band.name for band in context.compiled.rules.scoring.bands]
    summary, reviews = summarise(results, dry_run, bands)
    exit_code = 1 if summary["rejected"] else 0
    if run_id is not None:
        status = "partial" if exit_code else "ok"
        context.store.finish_run(run_id, status, exit_code, calls, summary)
    return RulesRunResult(
        run_id=run_id,
        dry_run=dry_run,
        exit_code=exit_code,
        summary=summary,
        changes=plan_rows(results),
        tasks=task_rows(results),
        reviews=reviews,
        calls=calls,
    )


def _calls_since(
    context: RulesContext, start: dict[str, Counter[str]]
) -> dict[str, dict[str, int]]:
    now = context.calls()
    return {s: dict(now[s] - start.get(s, Counter())) for s in now}
