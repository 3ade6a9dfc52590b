"""The HubSpot connector's write side: rows to batch inputs, task upserts and their links.

Creates with a key become upserts on a unique property (never duplicated), updates
go by id, and each batch of 100 is sent by `hubspot_writes.Writer`; results come
back one per row, in order, with rows refused before any call marked failed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from functools import partial

from integrations.base import TaskSpec, WriteResult, WriteRow
from integrations.errors import CrmError, write_into
from integrations.hubspot_associations import remove_associations
from integrations.hubspot_http import Transport
from integrations.hubspot_writes import (
    TASK_LINKS,
    Input,
    Writer,
    checked_id,
    failed,
    key_property,
    task_properties,
    upsert_input,
)


class HubSpotWriteSide:
    """Writes of the `Connector` protocol, plus `clear_then_set`; the connector builds on it."""

    transport: Transport
    writer: Writer

    def create(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create records; keyed rows are upserted on a unique property, so never duplicated."""
        groups: dict[tuple[str, str], list[tuple[int, Input]]] = defaultdict(list)
        for i, row in enumerate(rows):
            if row.key:
                prop = key_property(object, row)
                groups[("upsert", prop)].append((i, upsert_input(prop, row.key, row.fields)))
            else:
                body = {"properties": dict(row.fields), "objectWriteTraceId": str(i)}
                groups[("create", "")].append((i, Input(body, str(i))))
        results: list[WriteResult | None] = [None] * len(rows)
        for (verb, _), members in groups.items():
            items = [item for _, item in members]
            batched = partial(self.writer.batched, object, verb, items)
            write_into(results, [i for i, _ in members], batched)
        return [r for r in results if r is not None]

    def update(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update records by id, 100 per call."""
        ids = [checked_id(row.id or "") for row in rows]
        results: list[WriteResult | None] = [
            None if i is not None else failed("INVALID_ID", f"not a HubSpot id: {row.id!r}")
            for i, row in zip(ids, rows, strict=True)
        ]
        inputs = [
            Input({"id": i, "properties": dict(row.fields)}, i)
            for i, row in zip(ids, rows, strict=True)
            if i is not None
        ]
        sent = [n for n, i in enumerate(ids) if i is not None]
        write_into(results, sent, partial(self.writer.batched, object, "update", inputs))
        return [r for r in results if r is not None]

    def upsert(self, object: str, key_field: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create or update by a unique property (its value from the fields, else the key)."""
        values = [str(row.fields.get(key_field) or row.key or "").strip() for row in rows]
        results: list[WriteResult | None] = [
            None if v else failed("MISSING_KEY", f"no value for {key_field}") for v in values
        ]
        inputs = [
            upsert_input(key_field, v, dict(row.fields))
            for v, row in zip(values, rows, strict=True)
            if v
        ]
        sent = [n for n, v in enumerate(values) if v]
        write_into(results, sent, partial(self.writer.batched, object, "upsert", inputs))
        return [r for r in results if r is not None]

    def clear_then_set(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update in two calls per batch, clearing the fields first (lifecyclestage backward)."""
        try:
            blanks = [WriteRow({k: "" for k in r.fields}, id=r.id) for r in rows]
            cleared = self.update(object, blanks)
        except CrmError as stopped:
            stopped.partial_results = [None] * len(rows)  # nothing is set yet
            raise
        results: list[WriteResult | None] = [None if r.ok else r for r in cleared]
        ready = [n for n, result in enumerate(cleared) if result.ok]
        write_into(results, ready, lambda: self.update(object, [rows[n] for n in ready]))
        return [r for r in results if r is not None]

    def associate(
        self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]
    ) -> list[WriteResult]:
        """Default associations (from id, to id), 100 a call; one result per pair."""
        return self.writer.associate(from_type, to_type, pairs)

    def dissociate(self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]) -> None:
        """Remove associations (from id, to id), 100 records a call (v4 batch archive)."""
        remove_associations(self.transport, from_type, to_type, pairs)

    def write_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """Upsert tasks by `crmops_key`, then link open ones to their contact and deal."""
        inputs = [upsert_input("crmops_key", t.key, task_properties(t)) for t in tasks]
        results = self.writer.batched("tasks", "upsert", inputs)
        try:
            for attribute, to_type in TASK_LINKS:
                self._link_new_tasks(tasks, results, attribute, to_type)
        except CrmError as stopped:
            # The tasks are saved; their answers are the progress to keep.
            stopped.partial_results = list(results)
            raise
        return results

    def _link_new_tasks(
        self, tasks: Sequence[TaskSpec], results: list[WriteResult], attribute: str, to_type: str
    ) -> None:
        pairs: list[tuple[str, str]] = []
        where: list[int] = []
        for i, (task, result) in enumerate(zip(tasks, results, strict=True)):
            target = getattr(task, attribute)
            # An open task is linked even when not "new": a resent upsert whose first
            # answer was lost reports the task as existing, yet nothing linked it.
            fresh = result.created or task.status == "open"
            if not (result.ok and fresh and target and result.id):
                continue
            to_id = checked_id(target)
            if to_id is None:
                results[i] = failed("INVALID_ID", f"task saved; {target!r} is no id", result.id)
                continue
            pairs.append((result.id, to_id))
            where.append(i)
        for i, link in zip(where, self.writer.associate("tasks", to_type, pairs), strict=True):
            if not link.ok:
                message = f"task saved, but linking it to {to_type} failed: {link.message}"
                results[i] = WriteResult(
                    ok=False,
                    id=results[i].id,
                    created=True,
                    error_code=link.error_code,
                    message=message,
                )
