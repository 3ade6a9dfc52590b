"""Undo a rules run: put back the native fields it wrote, close the tasks it created.

A rules run journals native fields (score, temperature, breakdown, Rating, stage
fields, owner, task status) with native wire values, unlike a sync run's canonical
fields, so it is undone here, on native values: each record is read again; a field
still holding what the run wrote gets its before-value back, one changed since is
skipped and listed. HubSpot lifecycle stages go back by clear-then-set.

`crmops undo RUN` calls `undo_rules_run` for runs of kind `rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from integrations.base import Connector, WriteRow
from sync.apply_writes import write_rows
from sync.rules_plan import same_value
from sync.store import StateStore
from sync.store_types import JournalEntry, PlannedWrite
from sync.undo import TASK_CLOSED, UndoReport

OWNER_FIELDS = frozenset({"OwnerId", "hubspot_owner_id"})


def _restorable(
    connector: Connector, object: str, entries: Sequence[JournalEntry], report: UndoReport
) -> list[JournalEntry]:
    """Entries whose field still holds the value the run wrote (the rest go to `skipped`)."""
    fields = sorted({e.field for e in entries})
    current = {
        r.id: r.fields
        for r in connector.read_by_ids(object, [e.record_id or "" for e in entries], fields)
    }
    ready = []
    for e in entries:
        now = current.get(e.record_id or "")
        if now is not None and same_value(now.get(e.field), e.after):
            ready.append(e)
            continue
        report.skipped.append(
            {
                "system": e.system,
                "object": e.object,
                "record_id": e.record_id,
                "field": e.field,
                "written": e.after,
                "now": None if now is None else now.get(e.field),
                "why": "changed since the run" if now is not None else "gone",
            }
        )
    return ready


def _restore(
    store: StateStore,
    connector: Connector,
    object: str,
    entries: Sequence[JournalEntry],
    undo_run_id: int | None,
) -> list[tuple[JournalEntry, str]]:
    """Write the before-values back (journaled under the undo run); returns failed entries."""
    blank = "" if connector.system == "hubspot" else None
    rows: dict[str, dict[str, Any]] = {}
    for e in entries:
        rows.setdefault(e.record_id or "", {})[e.field] = blank if e.before is None else e.before
    if undo_run_id is not None:
        store.journal_planned(
            undo_run_id,
            [
                PlannedWrite(
                    e.system, e.object, e.record_id, e.field, e.after, e.before, e.stable_id
                )
                for e in entries
            ],
        )
    ids = list(rows)
    results, stopped = write_rows(connector, object, [WriteRow(rows[i], id=i) for i in ids], False)
    answers = dict(zip(ids, results, strict=False))
    failed = []
    for e in entries:
        answer = answers.get(e.record_id or "")
        if answer is None or not answer.ok:
            failed.append((e, answer.message or "" if answer else "no answer"))
    if stopped is not None:
        raise stopped
    return failed


def undo_rules_run(
    store: StateStore,
    connectors: Mapping[Any, Connector],
    run_id: int,
    dry_run: bool,
    undo_run_id: int | None = None,
) -> UndoReport:
    """Reverse what rules run `run_id` wrote; with `dry_run`, only say what would be done."""
    report = UndoReport(run_id, dry_run)
    groups: dict[tuple[str, str], list[JournalEntry]] = {}
    for e in store.journal_for_run(run_id, "written"):
        if e.record_id and e.system in connectors:
            groups.setdefault((e.system, e.object), []).append(e)
    ready = {
        key: _restorable(connectors[key[0]], key[1], entries, report)
        for key, entries in groups.items()
    }
    report.restored = [
        {"system": e.system, "object": e.object, "record_id": e.record_id, "field": e.field,
         "value": e.before}
        for entries in ready.values() for e in entries
    ]  # fmt: skip
    tasks = [t for t in store.tasks_of_run(run_id) if t.status == "created" and t.task_id]
    report.tasks_closed = [t.key for t in tasks]
    if dry_run:
        return report
    for (system, object), entries in ready.items():
        # Owners apart: one that cannot be restored (deactivated since) must not hold up the rest.
        owners = [e for e in entries if e.field in OWNER_FIELDS]
        for part in ([e for e in entries if e.field not in OWNER_FIELDS], owners):
            failed = _restore(store, connectors[system], object, part, undo_run_id) if part else []
            report.failed += [
                {"system": system, "record_id": e.record_id, "field": e.field, "why": why}
                for e, why in failed
            ]
            lost = {e.id for e, _ in failed}
            store.journal_mark([e.id for e in part if e.id not in lost], "undone")
    for system, (api_object, values) in TASK_CLOSED.items():
        mine = [t for t in tasks if t.system == system and system in connectors]
        if mine:
            connectors[system].update(
                api_object, [WriteRow(dict(values), id=t.task_id) for t in mine]
            )
            store.mark_tasks_status([t.key for t in mine], "closed")
    return report
