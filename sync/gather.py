"""Reading for a sync: changed records since the cursors, their linked partners, converted.

Everything here reads (CRMs and the store) and nothing writes. Records are kept as
`Seen`: the native record, the converter of its variant, and its canonical values.
Cursors are per (system, variant): Person Accounts and business Accounts are both
`Account` records, but each pair moves its own cursor, so syncing one pair never
skips the other's changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from integrations.base import Connector, Cursor, Deletion, Record
from sync.compiled import CompiledMapping, ObjectConverter
from sync.converter import ASSOCIATION_PREFIX
from sync.mapping import SIDES, Side
from sync.store import StateStore


@dataclass
class Seen:
    """One native record read this run, with its variant's converter and canonical values."""

    conv: ObjectConverter
    record: Record
    values: dict[str, Any]
    candidate: Any = None  # its identity `Candidate`, when a sharded read made it already

    @property
    def read_only(self) -> bool:
        """A record crmops reads but never writes (a converted lead)."""
        return self.conv.is_read_only(self.record.fields)


@dataclass
class PairRead:
    """What was read for one pair: records per side by id, and the cursors reached."""

    pair: str
    seen: dict[Side, dict[str, Seen]] = field(
        default_factory=lambda: {"salesforce": {}, "hubspot": {}}
    )
    cursors: dict[tuple[Side, str], Cursor] = field(default_factory=dict)
    problems: int = 0
    whole: set[Side] = field(default_factory=set)  # sides read in full (no cursor yet)
    since: dict[tuple[Side, str], Cursor | None] = field(default_factory=dict)  # stored
    # Records read but left out (re-read unchanged, at their base): versions to stamp.
    passed: dict[tuple[Side, str], dict[str, datetime]] = field(default_factory=dict)
    # Salesforce records at their base with a reference set: association planning only.
    referencing: dict[str, Seen] = field(default_factory=dict)
    # Salesforce id -> reference field -> account HubSpot was found associated with.
    associated: dict[str, dict[str, str]] = field(default_factory=dict)


def variants(compiled: CompiledMapping, pair: str, system: Side) -> list[ObjectConverter]:
    """The converters of one pair on one side (Lead, Contact, PersonAccount...)."""
    return [c for (s, _), c in compiled.converters.items() if s == system and c.pair == pair]


def native_fields(conv: ObjectConverter) -> list[str]:
    """The native fields to read for a variant (associations are not read as properties)."""
    return [f for f in conv.read_fields if not f.startswith(ASSOCIATION_PREFIX)]


def reference_fields(compiled: CompiledMapping, pair: str) -> frozenset[str]:
    """Canonical fields carried as associations on some side: left out of this sync."""
    names = set()
    for system in SIDES:
        for conv in variants(compiled, pair, system):
            names |= {io.name for io in conv.fields if io.natives[0].startswith(ASSOCIATION_PREFIX)}
    return frozenset(names)


class Gatherer:
    """Reads records of one pair and converts them; counts conversion problems."""

    def __init__(
        self,
        compiled: CompiledMapping,
        connectors: Mapping[Side, Connector],
        store: StateStore,
        pair: str,
        sweeps: dict[Any, dict[str, Deletion]] | None = None,
    ) -> None:
        self.compiled = compiled
        self.connectors = connectors
        self.store = store
        self.result = PairRead(pair)
        self.sweeps = sweeps if sweeps is not None else {}
        self.all_since: dict[tuple[Side, str], Cursor | None] = {}  # every pair's variants
        self.skip = reference_fields(compiled, pair)

    def seen(self, conv: ObjectConverter, record: Record) -> Seen:
        """Convert a record; fields that fail conversion are left out (and counted)."""
        values, problems = conv.to_canonical(record.fields)
        for name in self.skip:
            values.pop(name, None)
        self.result.problems += len(problems)
        return Seen(conv, record, values)

    def keep(self, system: Side, records: Iterable[Record], conv: ObjectConverter) -> list[str]:
        """Add records of `conv`'s variant (others sharing its API object are ignored)."""
        ids = []
        for record in records:
            if conv.when and not conv.selects(record.fields):
                continue
            self.result.seen[system][record.id] = self.seen(conv, record)
            ids.append(record.id)
        return ids

    def take(self, changed: Changes) -> None:
        """This pair's records of a shared read, and the cursor each variant reached."""
        self.all_since = changed.since
        for system in SIDES:
            self.result.whole.add(system)
            for conv in variants(self.compiled, self.result.pair, system):
                cursor = changed.since[(system, conv.variant)]
                self.result.since[(system, conv.variant)] = cursor
                if cursor is not None:
                    self.result.whole.discard(system)
                latest = cursor
                for record in [
                    *self.keep_records(system, changed, conv),
                    *self.passed(changed, conv),
                ]:
                    mark = Cursor(record.modified, record.id)
                    latest = mark if latest is None or mark > latest else latest
                horizon = changed.horizons.get((system, conv.api_object))
                if horizon is not None and latest is not None and Cursor(horizon, "") > latest:
                    latest = Cursor(horizon, "")  # nothing left unseen before the read ran
                if latest is not None and latest != cursor:
                    self.result.cursors[(system, conv.variant)] = latest

    def keep_records(self, system: Side, changed: Changes, conv: ObjectConverter) -> list[Record]:
        """Records of the variant's API object that belong to the variant, kept."""
        mine = [
            r
            for r in changed.records.get((system, conv.api_object), [])
            if not conv.when or conv.selects(r.fields)
        ]
        self.keep(system, mine, conv)
        return mine

    def passed(self, changed: Changes, conv: ObjectConverter) -> list[Record]:
        """Records of the variant's object read but left out, that the cursor moves past.

        Those of this variant (their versions are stamped; Salesforce ones with a
        reference set still go to association planning) and those no variant takes.
        """
        key = (conv.system, conv.api_object)
        mine = []
        for record in changed.passed.get(key, []):
            owner = self.compiled.classify(conv.system, conv.api_object, record.fields)
            if owner is None:
                mine.append(record)
            elif owner.variant == conv.variant:
                mine.append(record)
                stamps = self.result.passed.setdefault((conv.system, conv.variant), {})
                stamps[record.id] = record.modified
        for record in changed.referencing.get(key, []):
            if not conv.when or conv.selects(record.fields):
                self.result.referencing[record.id] = self.seen(conv, record)
        return mine

    def fetch(self, system: Side, variant: str, ids: Sequence[str]) -> list[Record]:
        """Read records of one variant by id (partners, conversion targets); adds them."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self.result.seen[system]]
        if not wanted:
            return []
        conv = self.compiled.converter(system, variant)
        records = self.connectors[system].read_by_ids(conv.api_object, wanted, native_fields(conv))
        self.keep(system, records, conv)
        return records

    def deletions(
        self, system: Side, variant: str, since: datetime | None = None
    ) -> dict[str, Deletion]:
        """The delete sweep of one variant's object (since a time), by id; once per run."""
        conv = self.compiled.converter(system, variant)
        key = (system, conv.api_object, since)
        if key not in self.sweeps:
            swept = self.connectors[system].deletions(conv.api_object, since)
            self.sweeps[key] = {d.id: d for d in swept}
        return self.sweeps[key]


@dataclass
class Changes:
    """One run's changed-records read, shared by the pairs: records per (system, API object)."""

    records: dict[tuple[Side, str], list[Record]] = field(default_factory=dict)
    since: dict[tuple[Side, str], Cursor | None] = field(default_factory=dict)  # per variant
    sweeps: dict[Any, dict[str, Deletion]] = field(default_factory=dict)
    # Read but left out before planning (`drop_unchanged`, `sync.quiet.drop_at_base`):
    # the cursors still move past them.
    passed: dict[tuple[Side, str], list[Record]] = field(default_factory=dict)
    referencing: dict[tuple[Side, str], list[Record]] = field(default_factory=dict)
    # When a read ran by the CRM's clock, if its connector says (`read_horizon`).
    horizons: dict[tuple[Side, str], datetime] = field(default_factory=dict)


def read_changes(
    compiled: CompiledMapping,
    connectors: Mapping[Side, Connector],
    store: StateStore,
    pairs: Sequence[str],
    full: bool,
) -> Changes:
    """Read each API object once, from the earliest cursor of the variants on it.

    Person Accounts and business Accounts share `Account`: one read serves both, and
    each variant still keeps (and later advances) its own cursor. An object with no
    cursor yet is read whole through `read_all`, not a search that lags behind writes.
    """
    changed = Changes()
    wanted: dict[tuple[Side, str], tuple[list[Cursor | None], list[str]]] = {}
    for pair in pairs:
        for system in SIDES:
            for conv in variants(compiled, pair, system):
                cursor = None if full else store.cursor(system, conv.variant)
                changed.since[(system, conv.variant)] = cursor
                cursors, fields = wanted.setdefault((system, conv.api_object), ([], []))
                cursors.append(cursor)
                fields.extend(native_fields(conv))
    for (system, api_object), (cursors, fields) in wanted.items():
        start = None if None in cursors else min(c for c in cursors if c is not None)
        names = list(dict.fromkeys(fields))
        # A whole read goes through the list endpoints: a search lags behind writes
        # (HubSpot's index), so it would miss what a rules run just wrote, and a
        # whole read is never followed by a look-up by email.
        connector = connectors[system]
        read = (
            connector.read_all(api_object, names)
            if start is None
            else connector.changed_since(api_object, start, names)
        )
        changed.records[(system, api_object)] = list(read)
        horizon = getattr(connector, "read_horizon", None)
        when = horizon(api_object) if horizon is not None and start is not None else None
        if when is not None:
            changed.horizons[(system, api_object)] = when
    return changed


def drop_unchanged(
    compiled: CompiledMapping,
    store: StateStore,
    changed: Changes,
    held: Collection[tuple[str, str]] = (),
) -> int:
    """Leave out records re-read unchanged, before anything costs a call.

    A connector's overlap window (Salesforce re-reads 60 s behind its cursor for late
    commits) returns the previous run's last records again; keeping them would make
    a quiet run read partners, owners and stages for nothing. Left out (kept in
    `changed.passed`, so the cursors still move past them): linked
    records with the modified time a sync last read (a late commit carries another
    time, so it is kept), records no variant of the object takes (a Person Account's
    Contact row), and unlinked records at or behind their variant's cursor that are
    never linked anyway: converted leads and records in `held` (open review items).
    No API call.

    Returns:
        How many records were left out.
    """
    dropped = 0
    for (system, api_object), records in changed.records.items():
        convs = [
            c
            for c in compiled.converters.values()
            if c.system == system and c.api_object == api_object
        ]
        objects = sorted({c.variant for c in convs})
        versions = store.record_versions(system, [r.id for r in records], objects)
        kept = [
            r
            for r in records
            if versions.get(r.id) != r.modified
            and not _settled(r, convs, changed.since, (system, r.id) in held)
        ]
        dropped += len(records) - len(kept)
        left = {r.id for r in kept}
        changed.passed.setdefault((system, api_object), []).extend(
            r for r in records if r.id not in left
        )
        changed.records[(system, api_object)] = kept
    return dropped


def _settled(
    record: Record,
    convs: Sequence[ObjectConverter],
    since: Mapping[tuple[Side, str], Cursor | None],
    held: bool,
) -> bool:
    """A record no variant takes, or one re-read behind its cursor that no sync links.

    Person Accounts' own Contact rows belong to no variant of `Contact`; converted
    leads and records held for review are never linked.
    """
    conv = next((c for c in convs if not c.when or c.selects(record.fields)), None)
    if conv is None:
        return True
    cursor = since.get((conv.system, conv.variant))
    if cursor is None or Cursor(record.modified, record.id) > cursor:
        return False
    return held or conv.is_read_only(record.fields)


def read_versions(read: PairRead) -> dict[tuple[Side, str], dict[str, datetime]]:
    """(system, variant) -> record id -> modified time, of every record read for a pair."""
    found: dict[tuple[Side, str], dict[str, datetime]] = {
        key: dict(stamps) for key, stamps in read.passed.items()
    }
    for system, seen in read.seen.items():
        for rid, x in seen.items():
            found.setdefault((system, x.conv.variant), {})[rid] = x.record.modified
    return found
