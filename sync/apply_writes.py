"""One batch of a plan's writes: re-read, re-plan what moved, journal, write, record.

A batch is records of one system and variant, at most one full CRM batch. Its
records are re-read in one call first; a record whose version moved since the plan
is re-planned field by field against its fresh value. Every field write is journaled
(`planned`) before the CRM call; the answer is recorded in one store transaction:
journal rows written/failed, new bases (crmops's own writes become the base, so they
never echo), links of created records. A record the CRM refuses goes to the review
queue with its reason; the rest of the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from integrations.base import Connector, WriteResult, WriteRow
from integrations.errors import CrmError
from sync.compiled import CompiledMapping, ObjectConverter
from sync.convert import to_json_value
from sync.diff import OTHER, Times, diff_field
from sync.gather import native_fields
from sync.plan import Update
from sync.store import StateStore
from sync.store_reviews import NewReview
from sync.store_types import BaseValue, PlannedWrite

CREATED = "(created)"  # journal marker of a record crmops created
LIFECYCLE = "lifecyclestage"  # HubSpot drops a backward move unless it is cleared first


@dataclass
class Tally:
    """What apply did, for the report and the exit code."""

    fields_written: dict[str, int] = field(default_factory=lambda: {"salesforce": 0, "hubspot": 0})
    records_updated: dict[str, int] = field(default_factory=lambda: {"salesforce": 0, "hubspot": 0})
    created: dict[str, int] = field(default_factory=lambda: {"salesforce": 0, "hubspot": 0})
    replanned: int = 0
    associations: int = 0  # HubSpot associations made
    skipped: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    # Creates the CRM refused because it already holds the record: linked to it instead.
    linked: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Row:
    """One record's writes in a batch: canonical values, native values, journal ids."""

    record_id: str | None
    stable_id: str | None
    values: dict[str, Any]
    native: dict[str, Any]
    befores: dict[str, Any]
    journal: list[int] = field(default_factory=list)
    source: str | None = None  # creates: the record on the other side it copies
    extra_bases: dict[str, Any] = field(default_factory=dict)  # creates: defaults written


def write_rows(
    connector: Connector, api_object: str, rows: Sequence[WriteRow], create: bool
) -> tuple[list[WriteResult | None], CrmError | None]:
    """Send rows; a write stopped part-way returns its partial results and the error."""
    try:
        if create:
            return list(connector.create(api_object, rows)), None
        cleared = [WriteRow({LIFECYCLE: ""}, id=r.id) for r in rows if LIFECYCLE in r.fields]
        if cleared and connector.system == "hubspot":
            connector.update(api_object, cleared)
        return list(connector.update(api_object, rows)), None
    except CrmError as stopped:
        known: list[WriteResult | None] = list(stopped.partial_results)
        return known + [None] * (len(rows) - len(known)), stopped


class BatchWriter:
    """Writes batches of one run, journaling first and recording the answers."""

    def __init__(
        self,
        compiled: CompiledMapping,
        store: StateStore,
        connectors: Mapping[Any, Connector],
        run_id: int,
        tally: Tally,
        links_for: Callable[[str, str, list[str]], dict[str, str]],
    ) -> None:
        self.compiled = compiled
        self.store = store
        self.connectors = connectors
        self.run_id = run_id
        self.tally = tally
        self.links_for = links_for  # (system, variant, ids) -> record id -> stable id
        self.plan_now: datetime | None = None  # when the plan was made (re-plans use it)
        # Creates: called with each created row, inside the batch transaction (links it).
        self.created_hook: Callable[[ObjectConverter, Row], None] | None = None
        # Creates: called with each refused row, inside the batch transaction; True when
        # it settled the refusal (linked the record the CRM already holds, or queued a
        # conflict), so the row is not reported rejected.
        self.refused_hook: Callable[[ObjectConverter, Row, WriteResult], bool] | None = None

    # --- updates -------------------------------------------------------------------

    def updates(self, system: str, variant: str, batch: Sequence[Update]) -> CrmError | None:
        """Re-read, re-plan, journal and write one batch of updates."""
        conv = self.compiled.converter(system, variant)  # type: ignore[arg-type]
        connector = self.connectors[system]
        ids = [u.record_id for u in batch]
        fresh = {r.id: r for r in connector.read_by_ids(conv.api_object, ids, native_fields(conv))}
        stables = self.links_for(system, variant, ids)
        rows: list[Row] = []
        for update in batch:
            record = fresh.get(update.record_id)
            if record is None:
                self.tally.skipped.append(
                    f"{system} {variant} {update.record_id}: gone before write"
                )
                continue
            current, _ = conv.to_canonical(record.fields)
            values = self._replan(conv, update, current, record.modified)
            stable = update.stable_id or stables.get(update.record_id)
            row = self.row(conv, update.record_id, stable, values, current)
            if row.native:
                rows.append(row)
        return self.send(conv, rows, create=False)

    def _replan(
        self, conv: ObjectConverter, update: Update, current: Mapping[str, Any], version: Any
    ) -> dict[str, Any]:
        """The values to write: as planned, unless the target field moved since the plan."""
        values: dict[str, Any] = {}
        moved = update.version is not None and version != update.version
        self.tally.replanned += int(moved)
        rules = self.compiled.field_rules[conv.pair]
        for change in update.changes:
            rule = rules[change.field]
            now = current.get(change.field)
            if not moved or rule.canon(now) == rule.canon(change.old):
                values[change.field] = change.new
                continue
            # Someone changed the target since: decide again with its fresh value (the
            # edit came after the plan, so it is the newer one).
            sides = {conv.system: now, OTHER[conv.system]: change.new}
            stamps = {conv.system: version, OTHER[conv.system]: self.plan_now}
            times = Times(salesforce=stamps["salesforce"], hubspot=stamps["hubspot"])
            changes, _, _ = diff_field(
                rule, sides["salesforce"], sides["hubspot"], change.old, times
            )
            for again in changes:
                if again.target_system == conv.system:
                    values[change.field] = again.new
        return values

    def row(
        self,
        conv: ObjectConverter,
        record_id: str | None,
        stable: str | None,
        values: Mapping[str, Any],
        current: Mapping[str, Any],
    ) -> Row:
        """One record's writes in native form; values the CRM cannot take are left out (listed).

        Args:
            conv: the target variant's converter.
            record_id: the record (None for a create).
            stable: its stable id, when linked.
            values: canonical values to write.
            current: the record's canonical values now (the journal's before-values).
        """
        native, problems = conv.to_native(values)
        bad = {p.field for p in problems}
        for problem in problems:
            self.tally.skipped.append(
                f"{conv.system} {conv.variant} {record_id} {problem.field}: {problem.message}"
            )
        kept = {k: v for k, v in values.items() if k not in bad}
        befores = {k: to_json_value(current.get(k)) for k in kept}
        return Row(record_id, stable, kept, native, befores)

    # --- sending and recording -----------------------------------------------------

    def journal(self, conv: ObjectConverter, rows: Sequence[Row]) -> None:
        """Journal every field write of the batch before it is sent."""
        entries: list[PlannedWrite] = []
        sizes = []
        for row in rows:
            mine = [
                PlannedWrite(
                    conv.system,
                    conv.variant,
                    row.record_id,
                    name,
                    row.befores.get(name),
                    to_json_value(value),
                    row.stable_id,
                )
                for name, value in row.values.items()
            ]
            if row.source is not None:  # undo lists created records instead of blanking them
                mine.append(
                    PlannedWrite(conv.system, conv.variant, None, CREATED, None, row.source)
                )
            entries += mine
            sizes.append(len(mine))
        ids = iter(self.store.journal_planned(self.run_id, entries))
        for row, size in zip(rows, sizes, strict=True):
            row.journal = [next(ids) for _ in range(size)]

    def send(
        self,
        conv: ObjectConverter,
        rows: list[Row],
        create: bool,
        keys: Sequence[str | None] = (),
    ) -> CrmError | None:
        """Journal, write and record one batch; returns the error that stopped it, if any."""
        if not rows:
            return None
        self.journal(conv, rows)
        wire = [
            WriteRow(r.native, id=None if create else r.record_id, key=k)
            for r, k in zip(rows, list(keys) or [None] * len(rows), strict=True)
        ]
        results, stopped = write_rows(self.connectors[conv.system], conv.api_object, wire, create)
        self.record(conv, rows, results, create)
        return stopped

    def record(
        self,
        conv: ObjectConverter,
        rows: Sequence[Row],
        results: Sequence[WriteResult | None],
        create: bool,
    ) -> None:
        """Record a batch's answers in one transaction (journal, bases, links, reviews)."""
        with self.store.transaction():
            for row, result in zip(rows, results, strict=True):
                if result is None:
                    continue  # never answered: stays `planned`; the rerun decides again
                if not result.ok:
                    if not (create and self._settled(conv, row, result)):
                        self._rejected(conv, row, result)
                    continue
                if create:
                    row.record_id = result.id
                    if self.created_hook is not None:
                        self.created_hook(conv, row)
                    self.tally.created[conv.system] += 1
                else:
                    self.tally.records_updated[conv.system] += 1
                self.tally.fields_written[conv.system] += len(row.values)
                rid = {j: str(result.id) for j in row.journal} if create else None
                self.store.journal_mark(row.journal, "written", record_ids=rid)
                if row.stable_id:
                    self.store.set_bases(
                        [
                            BaseValue(row.stable_id, k, to_json_value(v))
                            for k, v in {**row.extra_bases, **row.values}.items()
                        ]
                    )

    def _settled(self, conv: ObjectConverter, row: Row, result: WriteResult) -> bool:
        return self.refused_hook is not None and self.refused_hook(conv, row, result)

    def _rejected(self, conv: ObjectConverter, row: Row, result: WriteResult) -> None:
        reason = f"{result.error_code}: {result.message}"
        self.store.journal_mark(row.journal, "failed", error=reason)
        detail = {
            "error_code": result.error_code,
            "message": result.message,
            "fields": list(result.fields),
            "values": {k: to_json_value(v) for k, v in row.values.items()},
            "run_id": self.run_id,
        }
        record = row.record_id or f"(new from {row.source})"
        self.store.add_reviews(
            [NewReview("rejected", conv.system, conv.variant, record, detail)], self.run_id
        )
        self.tally.rejected.append(
            {"system": conv.system, "object": conv.variant, "record_id": record, "reason": reason}
        )
