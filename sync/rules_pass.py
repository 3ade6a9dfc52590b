"""One CRM's part of a rules run: read changed records, give them stable ids, evaluate, plan.

`SystemPass.collect(kind)` reads one object since the rules cursor (or all of it),
links every record to a stable id (the record part of task keys), evaluates
with one `now` and returns the plans and the cursor to save once they are written.
In a dry run nothing is written to the store: unlinked records get provisional ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from integrations.base import Connector, Cursor, Record
from rules.compiler import Compiled
from rules.engine import evaluate_lead, evaluate_opportunity
from rules.lead import CanonicalLead, CanonicalOpportunity
from sync.compiled import CompiledMapping
from sync.rules_deals import WON_STAGE, won_deals, won_stage_ids
from sync.rules_plan import RecordPlan, plan_record
from sync.rules_source import PAIRS, Item, Kind, read_fields, to_item
from sync.rules_systems import OwnerDirectory, SystemSpec
from sync.store import StateStore
from sync.store_links import Move
from sync.store_types import Link, LinkConflict

CURSOR_PREFIX = "rules:"  # rules cursors are their own, apart from the sync job's
CONVERTED_TO = "Contact"
LINK_ATTEMPTS = 3  # an overlapping run may link the same new records first


SWEEP_PREFIX = "rules-sweep:"  # when an object was last read whole (see `SystemPass.read`)


def cursor_name(object: str) -> str:
    """The state-store object name under which the rules cursor of `object` is kept."""
    return CURSOR_PREFIX + object


@dataclass
class Collected:
    """One object's plans and the cursor to save once they are applied."""

    kind: Kind
    object: str
    plans: list[RecordPlan]
    cursor: Cursor | None
    swept: bool = False  # every record was read (a sweep), not only the changed ones


@dataclass
class SystemPass:
    """Reading and planning for one CRM within one run."""

    store: StateStore
    connector: Connector
    spec: SystemSpec
    compiled: Compiled
    mapping: CompiledMapping
    owners: OwnerDirectory
    stage_ids: dict[str, str]
    now: datetime
    dry_run: bool
    full: bool

    @property
    def zone(self) -> ZoneInfo:
        """The org's time zone (from the rules file)."""
        return ZoneInfo(self.compiled.rules.timezone)

    def sweep_due(self, object: str) -> bool:
        """Whether this pass must read `object` whole: asked to, or no sweep within the horizon.

        Time alone makes tasks due (cadence days, lost after 15 days, reminders, stale
        opportunities) on records nobody changed, which an incremental read never sees.
        A scheduled task is made once due within the horizon, so reading everything at
        least once per horizon makes each before its due time.
        """
        if self.full:
            return True
        last = self.store.cursor(self.spec.system, SWEEP_PREFIX + object)
        return last is None or last.modified <= self.now - self.compiled.horizon.delta

    def read(self, kind: Kind) -> tuple[list[Record], Cursor | None, bool]:
        """Records changed since the rules cursor (or all), the new cursor, whether all."""
        object = self.spec.objects()[kind]
        converter = self.mapping.converter(self.spec.system, object)
        fields = read_fields(self.spec, kind, converter)
        swept = self.sweep_due(object)
        if swept:
            before, records = None, list(self.connector.read_all(object, fields))
        else:
            before = self.store.cursor(self.spec.system, cursor_name(object))
            records = list(self.connector.changed_since(object, before, fields))
        latest = max((Cursor(r.modified, r.id) for r in records), default=None)
        if latest is None or (before is not None and latest < before):
            latest = before
        return records, latest, swept

    def stable_ids(self, kind: Kind, records: Sequence[Record]) -> dict[str, str]:
        """Record id -> stable id; new records get a new entity and link (not in a dry run)."""
        system, object = self.spec.system, self.spec.objects()[kind]
        ids = [r.id for r in records]
        found = self.store.links_for_records(system, object, ids)
        if kind == "lead":
            found.update(self._converted(records, found))
        missing = [i for i in ids if i not in found]
        if self.dry_run:
            found.update({i: f"new-{system}-{i}" for i in missing})
            return found
        for attempt in range(LINK_ATTEMPTS):
            if not missing:
                break
            try:
                found.update(self._link_new(kind, missing))
                break
            except LinkConflict:
                # An overlapping run linked some of them first: take its stable ids.
                if attempt == LINK_ATTEMPTS - 1:
                    raise
                found.update(self.store.links_for_records(system, object, missing))
                missing = [i for i in missing if i not in found]
        return found

    def _link_new(self, kind: Kind, record_ids: list[str]) -> dict[str, str]:
        """New entities linked to unlinked records (all or none: LinkConflict)."""
        system, object = self.spec.system, self.spec.objects()[kind]
        fresh = self.store.new_entities(PAIRS[kind], len(record_ids))
        self.store.add_links(
            [Link(s, system, object, i) for i, s in zip(record_ids, fresh, strict=True)]
        )
        return dict(zip(record_ids, fresh, strict=True))

    def _converted(self, records: Sequence[Record], found: dict[str, str]) -> dict[str, str]:
        """Converted leads keep their person's stable id, now linked to the Contact."""
        converted = {
            r.id: str(r.fields["ConvertedContactId"])
            for r in records
            if r.fields.get("IsConverted") and r.fields.get("ConvertedContactId")
        }
        if not converted:
            return {}
        system = self.spec.system
        on_contact = self.store.links_for_records(system, CONVERTED_TO, list(converted.values()))
        moves = [
            Move(system, self.spec.lead_object, lead, CONVERTED_TO, contact)
            for lead, contact in converted.items()
            if lead in found and contact not in on_contact
        ]
        if moves and not self.dry_run:
            self.store.move_links(moves)
        out = {lead: on_contact[c] for lead, c in converted.items() if c in on_contact}
        out.update({m.from_id: found[m.from_id] for m in moves})
        return out

    def evaluate(self, item: Item) -> Any:
        """The rules' decision for one item (None when it could not be read)."""
        record = item.canonical
        if isinstance(record, CanonicalLead):
            return evaluate_lead(self.compiled, record, self.now, owner_usable=item.owner_usable)
        if isinstance(record, CanonicalOpportunity):
            return evaluate_opportunity(self.compiled, record, self.now)
        return None

    def won_deals(self, records: Sequence[Record]) -> dict[str, bool]:
        """`has_won_deal` of the leads read this pass (only those: a quiet pass asks nothing)."""
        won_ids: frozenset[str] = frozenset()
        if self.spec.system == "hubspot":
            crm = self.compiled.rules.stage_values.get("hubspot")
            values = crm.opportunity.get(WON_STAGE, {}) if crm else {}
            won_ids = won_stage_ids(values, self.stage_ids)
        return won_deals(self.connector, records, won_ids)

    def plan(self, kind: Kind, records: Sequence[Record]) -> list[RecordPlan]:
        """Items, decisions and plans for records of one object."""
        object = self.spec.objects()[kind]
        converter = self.mapping.converter(self.spec.system, object)
        stable = self.stable_ids(kind, records)
        won = self.won_deals(records) if kind == "lead" else {}
        plans = []
        for record in records:
            item = to_item(
                kind, converter, record, stable[record.id], self.owners, self.zone,
                won.get(record.id), self.compiled.extra_types[kind],
            )  # fmt: skip
            decision = self.evaluate(item)
            plans.append(
                plan_record(self.spec, self.compiled, item, decision, self.owners, self.stage_ids)
            )
        return plans

    def collect(self, kind: str) -> Collected:
        """Read, identify, evaluate and plan one object."""
        which: Kind = "lead" if kind == "lead" else "opportunity"
        records, cursor, swept = self.read(which)
        plans = self.plan(which, records)
        return Collected(which, self.spec.objects()[which], plans, cursor, swept)

    def save_cursor(self, collected: Collected) -> None:
        """Remember where this object's read stopped (after its writes are settled)."""
        if self.dry_run:
            return
        system = self.spec.system
        if collected.cursor is not None:
            self.store.save_cursor(system, cursor_name(collected.object), collected.cursor)
        if collected.swept:
            self.store.save_cursor(system, SWEEP_PREFIX + collected.object, Cursor(self.now))
