"""The rules run's writes: journaled field updates, keyed task creates, deferrals; full batches.

A small writer of its own (the sync job's apply works on plans of another shape):
every field write is journaled as `planned` before its batch is sent and marked
`written` or `failed` once the CRM answered, so a crash leaves each write either
journaled-and-unknown or settled, never unjournaled. Task keys are recorded as
intents before their batch and marked created after; the CRM's upsert by key
makes a resent batch harmless. `after_batch` is called between batches (tests
inject a crash there; `watch` stops only between passes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from integrations.base import Connector, WriteResult, WriteRow
from integrations.errors import CrmError
from sync.rules_plan import PlannedTask, RecordPlan
from sync.rules_systems import SystemSpec
from sync.store import StateStore
from sync.store_reviews import NewReview
from sync.store_types import PlannedWrite, TaskIntent, TaskKey

AfterBatch = Callable[[str, str, int], None]  # system, object, records in the batch
T = TypeVar("T")


def batches(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """`items` in consecutive slices of at most `size`."""
    return [items[i : i + size] for i in range(0, len(items), size)]


@dataclass
class WriteOutcome:
    """What the writes of one system did."""

    records_updated: int = 0
    fields_written: int = 0
    tasks_created: list[PlannedTask] = field(default_factory=list)
    deferred: list[TaskKey] = field(default_factory=list)
    rejected: list[NewReview] = field(default_factory=list)


class RulesWriter:
    """Journaled, batched writes of one rules run to one CRM."""

    def __init__(
        self,
        store: StateStore,
        run_id: int,
        connector: Connector,
        spec: SystemSpec,
        after_batch: AfterBatch | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.connector = connector
        self.spec = spec
        self.after_batch = after_batch
        self.outcome = WriteOutcome()

    def _answered(
        self, write: Callable[..., list[WriteResult]], *args: Any
    ) -> tuple[list[Any], CrmError | None]:
        """The CRM's answers; when a call stops part-way, those given so far and the error."""
        try:
            return list(write(*args)), None
        except CrmError as stopped:
            return list(stopped.partial_results or []), stopped

    def _settle(self, journal_ids: list[list[int]], results: list[Any]) -> None:
        """Mark each record's journal entries written or failed (unanswered stay planned)."""
        failed: dict[str, list[int]] = defaultdict(list)
        written: list[int] = []
        for ids, result in zip(journal_ids, results, strict=False):
            if result is None:
                continue
            if result.ok:
                written += ids
            else:
                failed[f"{result.error_code}: {result.message}"] += ids
        self.store.journal_mark(written, "written")
        for error, ids in failed.items():
            self.store.journal_mark(ids, "failed", error=error)

    def _reject(self, object: str, record_id: str, result: WriteResult, what: str) -> None:
        detail = {"reason": f"{result.error_code}: {result.message}", "write": what}
        self.outcome.rejected.append(
            NewReview("rejected", self.spec.system, object, record_id, detail)
        )

    def _done_batch(self, object: str, size: int) -> None:
        if self.after_batch is not None:
            self.after_batch(self.spec.system, object, size)

    def update_records(self, object: str, plans: Sequence[RecordPlan]) -> None:
        """Write each plan's changed fields, journaled, a full batch per call."""
        todo = [p for p in plans if p.changes]
        for chunk in batches(todo, self.spec.batch_size):
            entries = [
                [
                    PlannedWrite(
                        self.spec.system,
                        object,
                        p.item.record_id,
                        c.field,
                        c.before,
                        c.after,
                        p.item.stable_id,
                    )
                    for c in p.changes
                ]
                for p in chunk
            ]
            flat = self.store.journal_planned(self.run_id, [e for es in entries for e in es])
            ids, start = [], 0
            for es in entries:
                ids.append(flat[start : start + len(es)])
                start += len(es)
            rows = [
                WriteRow({c.field: c.after for c in p.changes}, id=p.item.record_id) for p in chunk
            ]
            results, stopped = self._answered(self.connector.update, object, rows)
            self._settle(ids, results)
            for plan, result in zip(chunk, results, strict=False):
                if result is None:
                    continue
                if result.ok:
                    self.outcome.records_updated += 1
                    self.outcome.fields_written += len(plan.changes)
                else:
                    self._reject(object, plan.item.record_id, result, "fields")
            if stopped is not None:
                raise stopped
            self._done_batch(object, len(chunk))

    def create_tasks(self, tasks: Sequence[PlannedTask]) -> None:
        """Record each key as an intent, then upsert the tasks by key, a full batch per call."""
        object = self.spec.task_object
        for chunk in batches(tasks, self.spec.batch_size):
            # A task intended under a stable id merged away since keeps that key text
            # until confirmed: the CRM may hold it under that text already.
            aliases = self.store.intended_aliases(self.spec.system, [t.spec.key for t in chunk])
            specs = [replace(t.spec, key=aliases.get(t.spec.key, t.spec.key)) for t in chunk]
            intents = [
                TaskIntent(s.key, self.spec.system, t.rule, t.stable_id, t.record_id, t.outreach)
                for t, s in zip(chunk, specs, strict=True)
            ]
            self.store.record_task_intents(self.run_id, intents)
            results, stopped = self._answered(self.connector.write_tasks, specs)
            created: dict[str, str] = {}
            for task, spec, result in zip(chunk, specs, results, strict=False):
                if result is not None and result.ok and result.id:
                    created[spec.key] = result.id
                    self.outcome.tasks_created.append(task)
                elif result is not None:
                    self._reject(object, task.record_id, result, f"task {task.spec.key}")
            self.store.mark_tasks_created(created)
            if stopped is not None:
                raise stopped
            self._done_batch(object, len(chunk))

    def defer_tasks(self, keys: Sequence[TaskKey], note: str) -> None:
        """Close open outreach tasks as Deferred with a note (journaled like field writes).

        Each batch's tasks are read first, so the journal holds each task's real status
        and note before (what undo puts back); tasks gone or already closed are left.
        """
        spec, object = self.spec, self.spec.task_object
        ready = [k for k in keys if k.task_id]
        for chunk in batches(ready, spec.batch_size):
            before = self._task_fields([k.task_id or "" for k in chunk])
            chunk = [k for k in chunk if _still_open(spec, before.get(k.task_id or ""))]
            if not chunk:
                continue
            fields = {spec.task_status: spec.deferred_status, spec.task_note: note}
            entries = [
                PlannedWrite(spec.system, object, k.task_id, name, was, value, k.stable_id)
                for k in chunk
                for name, value in fields.items()
                for was in (before[k.task_id or ""].get(name),)
            ]
            journaled = self.store.journal_planned(self.run_id, entries)
            width = len(fields)
            ids = [journaled[i : i + width] for i in range(0, len(journaled), width)]
            rows = [WriteRow(dict(fields), id=k.task_id) for k in chunk]
            results, stopped = self._answered(self.connector.update, object, rows)
            self._settle(ids, results)
            done = [k for k, r in zip(chunk, results, strict=False) if r is not None and r.ok]
            self.store.mark_tasks_status([k.key for k in done], "deferred")
            self.outcome.deferred += done
            for key, result in zip(chunk, results, strict=False):
                if result is not None and not result.ok:
                    self._reject(object, key.task_id or "", result, "deferral")
            if stopped is not None:
                raise stopped
            self._done_batch(object, len(chunk))

    def _task_fields(self, task_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Task id -> its status and note as they stand (one read per batch)."""
        names = [self.spec.task_status, self.spec.task_note]
        found = self.connector.read_by_ids(self.spec.task_object, task_ids, names)
        return {r.id: r.fields for r in found}


def _still_open(spec: SystemSpec, fields: dict[str, Any] | None) -> bool:
    """A task that exists and is not closed (a rep may have completed it meanwhile)."""
    return fields is not None and fields.get(spec.task_status) not in spec.closed_statuses
