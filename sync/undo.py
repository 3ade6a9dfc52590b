"""Undo a run: write the journaled before-values back on both sides, close the tasks it created.

Public API: `undo_run(job, run_id, dry_run, undo_run_id) -> UndoReport`.

For each field the run wrote, the record is read again: if it still holds the
value the run wrote (`after`), the before-value goes back; if someone changed it
since, the field is skipped and listed. The linked record on the other side gets
the before-value too when it holds the run's value (otherwise the next sync would
carry the change back). The base becomes the before-value. HubSpot lifecycle
stages go back by clear-then-set (`sync.apply_writes.write_rows`). Records the
run created are listed, not deleted. Company associations the run made are removed;
the Salesforce `AccountId` behind each is listed, not written (`sync.undo_references`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from integrations.base import WriteRow
from sync.apply_associations import FIELD_PREFIX as ASSOCIATION_FIELD
from sync.apply_associations import undo_associations
from sync.apply_writes import CREATED, write_rows
from sync.diff import OTHER
from sync.gather import Seen, native_fields
from sync.job import Job
from sync.store_types import BaseValue, JournalEntry, PlannedWrite
from sync.undo_references import unrestored_accounts

TASK_CLOSED = {
    "salesforce": ("Task", {"Status": "Completed"}),
    "hubspot": ("tasks", {"hs_task_status": "COMPLETED"}),
}


@dataclass
class Restore:
    """One value to put back: on which record, which field, from what to what."""

    system: str
    object: str
    record_id: str
    field: str
    value: Any
    current: Any
    stable_id: str | None = None


@dataclass
class UndoReport:
    """What undo did (or would do)."""

    run_id: int
    dry_run: bool
    restored: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)
    tasks_closed: list[str] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)


def _read(job: Job, system: str, variant: str, ids: Sequence[str]) -> dict[str, Seen]:
    conv = job.compiled.converter(system, variant)  # type: ignore[arg-type]
    connector = job.connectors[system]  # type: ignore[index]
    records = connector.read_by_ids(conv.api_object, list(ids), native_fields(conv))
    return {r.id: Seen(conv, r, conv.to_canonical(r.fields)[0]) for r in records}


def _same(job: Job, seen: Seen, name: str, a: Any, b: Any) -> bool:
    rule = job.compiled.field_rules[seen.conv.pair][name]
    return bool(rule.canon(a) == rule.canon(b))


def plan_undo(job: Job, run_id: int, report: UndoReport) -> tuple[list[Restore], list[int]]:
    """The restores to make (target and partner sides) and the journal ids they undo."""
    entries = job.store.journal_for_run(run_id, "written")
    created = {(e.system, e.object, e.record_id) for e in entries if e.field == CREATED}
    report.created = [{"system": s, "object": o, "record_id": r} for s, o, r in sorted(created)]
    groups: dict[tuple[str, str], list[JournalEntry]] = {}
    for e in entries:
        if e.field.startswith(ASSOCIATION_FIELD):
            continue  # associations: see `undo_associations`
        if (e.system, e.object, e.record_id) not in created and e.record_id:
            groups.setdefault((e.system, e.object), []).append(e)
    restores: list[Restore] = []
    undone: list[int] = []
    for (system, variant), items in groups.items():
        current = _read(job, system, variant, [e.record_id or "" for e in items])
        for e in items:
            seen = current.get(e.record_id or "")
            now = seen.values.get(e.field) if seen else None
            if seen is None or not _same(job, seen, e.field, now, e.after):
                report.skipped.append(
                    _describe(e, now, "changed since the run" if seen else "gone")
                )
                continue
            restores.append(
                Restore(system, variant, e.record_id or "", e.field, e.before, now, e.stable_id)
            )
            undone.append(e.id)
    restores += _partners(job, restores)
    return restores, undone


def _describe(e: JournalEntry, now: Any, why: str) -> dict[str, Any]:
    return {
        "system": e.system,
        "object": e.object,
        "record_id": e.record_id,
        "field": e.field,
        "written": e.after,
        "now": now if not hasattr(now, "isoformat") else now.isoformat(),
        "why": why,
    }


def _partners(job: Job, restores: list[Restore]) -> list[Restore]:
    """The same fields on the linked records, where they hold the value the run wrote."""
    more: list[Restore] = []
    for system in ("salesforce", "hubspot"):
        mine = [r for r in restores if r.system == system and r.stable_id]
        other = OTHER[system]  # type: ignore[index]
        links = job.store.records_for([r.stable_id or "" for r in mine], other)
        by_variant: dict[str, list[str]] = {}
        for link in links.values():
            by_variant.setdefault(link.object, []).append(link.record_id)
        current: dict[str, Seen] = {}
        for variant, ids in by_variant.items():
            current.update(_read(job, other, variant, ids))
        for r in mine:
            partner = links.get(r.stable_id or "")
            seen = current.get(partner.record_id) if partner else None
            if seen is None or r.field not in seen.values:
                continue
            if _same(job, seen, r.field, seen.values[r.field], r.current):
                more.append(
                    Restore(
                        other,
                        seen.conv.variant,
                        seen.record.id,
                        r.field,
                        r.value,
                        seen.values[r.field],
                        r.stable_id,
                    )
                )
    return more


def undo_run(job: Job, run_id: int, dry_run: bool, undo_run_id: int | None = None) -> UndoReport:
    """Reverse what run `run_id` wrote; with `dry_run`, only say what would be done."""
    report = UndoReport(run_id, dry_run)
    restores, undone = plan_undo(job, run_id, report)
    report.restored = [
        {
            "system": r.system,
            "object": r.object,
            "record_id": r.record_id,
            "field": r.field,
            "value": r.value,
        }
        for r in restores
    ]
    tasks = [t for t in job.store.tasks_of_run(run_id) if t.status == "created" and t.task_id]
    report.tasks_closed = [t.key for t in tasks]
    written = job.store.journal_for_run(run_id, "written")
    dissociated = set(undo_associations(job, written, dry_run))
    report.restored += [
        {
            "system": e.system,
            "object": e.object,
            "record_id": e.record_id,
            "field": e.field,
            "value": None,
        }
        for e in written
        if e.id in dissociated
    ]
    report.skipped += unrestored_accounts(job, [e for e in written if e.id in dissociated])
    if dry_run:
        return report
    job.store.journal_mark(sorted(dissociated), "undone")
    _write(job, restores, report, undo_run_id)
    job.store.journal_mark(undone, "undone")
    for system, (api_object, values) in TASK_CLOSED.items():
        mine = [t for t in tasks if t.system == system]
        if mine:
            rows = [WriteRow(dict(values), id=t.task_id) for t in mine]
            job.connectors[system].update(api_object, rows)  # type: ignore[index]
            job.store.mark_tasks_status([t.key for t in mine], "closed")
    return report


def _write(job: Job, restores: list[Restore], report: UndoReport, run_id: int | None) -> None:
    """Write the restores per system and variant, journaled under the undo run."""
    groups: dict[tuple[str, str], dict[str, list[Restore]]] = {}
    for r in restores:
        groups.setdefault((r.system, r.object), {}).setdefault(r.record_id, []).append(r)
    for (system, variant), records in groups.items():
        conv = job.compiled.converter(system, variant)  # type: ignore[arg-type]
        rows = [
            WriteRow(
                conv.to_native({r.field: conv_value(job, conv.pair, r) for r in items})[0], id=rid
            )
            for rid, items in records.items()
        ]
        journal = _journal(job, run_id, list(records.values()))
        connector = job.connectors[system]  # type: ignore[index]
        results, stopped = write_rows(connector, conv.api_object, rows, False)
        done: list[Restore] = []
        for (rid, items), ids, result in zip(records.items(), journal, results, strict=True):
            if result is not None and result.ok:
                done += items
                job.store.journal_mark(ids, "written")
                continue
            why = result.message if result else "no answer"
            report.failed.append({"system": system, "record_id": rid, "why": why})
            job.store.journal_mark(ids, "failed", error=why)
        job.store.set_bases([BaseValue(r.stable_id, r.field, r.value) for r in done if r.stable_id])
        if stopped is not None:
            raise stopped


def _journal(job: Job, run_id: int | None, records: list[list[Restore]]) -> list[list[int]]:
    """Journal the restores (before: the value now, after: the value restored), per record."""
    if run_id is None:
        return [[] for _ in records]
    entries = [
        PlannedWrite(
            r.system, r.object, r.record_id, r.field, _plain(r.current), r.value, r.stable_id
        )
        for items in records
        for r in items
    ]
    ids = iter(job.store.journal_planned(run_id, entries))
    return [[next(ids) for _ in items] for items in records]


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def conv_value(job: Job, pair: str, r: Restore) -> Any:
    """The canonical form of a journaled (JSON) value."""
    return job.compiled.field_rules[pair][r.field].canon(r.value)
