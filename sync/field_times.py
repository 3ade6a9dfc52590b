"""Per-field change times for conflicts a policy decides by time, read only where needed.

A field changed on both sides since its base, under `newest_wins` or `two_way` (or
`prefer_non_blank` with values on both sides), goes to the side that changed it
last. Record modified times mislead there (HubSpot analytics move a contact's
`lastmodifieddate` all day), so the planner asks each CRM when those fields
changed: HubSpot's property history, Salesforce field history where the connector
offers it. Only records with such a conflict are asked about, 100 ids a request; a
connector without `read_history` leaves the record's modified time in use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.converter import ASSOCIATION_PREFIX
from sync.diff import PairDiff
from sync.gather import Seen
from sync.mapping import Side

TIME_POLICIES = frozenset({"newest_wins", "two_way"})
HISTORY_CHUNK = 100  # record ids per read_history request (the connector may split further)

# (system, API object, record ids, native fields) -> record id -> native field -> changed at
FieldTimesReader = Callable[[Side, str, list[str], list[str]], dict[str, dict[str, datetime]]]
# (system, record id) -> canonical field -> changed at
KnownTimes = dict[tuple[Side, str], dict[str, datetime]]


@dataclass
class Pending:
    """A linked pair whose diff waits for the change times of `fields`."""

    sf: Seen
    hs: Seen
    stable: str | None
    base: Any
    fields: frozenset[str]


def _blank(value: Any) -> bool:
    return value is None or value == ""


def timed_conflicts(diff: PairDiff) -> frozenset[str]:
    """Fields changed on both sides whose winner depends on when each side changed them."""
    return frozenset(
        c.field
        for c in diff.changes
        if c.conflict
        and (
            c.policy in TIME_POLICIES
            or (c.policy == "prefer_non_blank" and not _blank(c.old) and not _blank(c.new))
        )
    )


def connector_reader(connectors: Mapping[Side, Any]) -> FieldTimesReader:
    """A reader over the connectors' `read_history`, 100 ids a request (none: no times)."""

    def read(system: Side, object: str, ids: list[str], natives: list[str]) -> Any:
        method = getattr(connectors[system], "read_history", None)
        found: dict[str, dict[str, datetime]] = {}
        if method is None:
            return found
        for start in range(0, len(ids), HISTORY_CHUNK):
            found.update(method(object, ids[start : start + HISTORY_CHUNK], natives))
        return found

    return read


def _natives(seen: Seen, fields: Iterable[str]) -> set[str]:
    wanted = set(fields)
    return {
        n
        for io in seen.conv.fields
        if io.name in wanted
        for n in io.natives
        if not n.startswith(ASSOCIATION_PREFIX)
    }


def fetch_times(reader: FieldTimesReader, pending: list[Pending]) -> KnownTimes:
    """Canonical field change times of the pending pairs' records, one read per object."""
    groups: dict[tuple[Side, str], tuple[dict[str, Seen], set[str]]] = {}
    for item in pending:
        for seen in (item.sf, item.hs):
            key = (seen.conv.system, seen.conv.api_object)
            records, natives = groups.setdefault(key, ({}, set()))
            records[seen.record.id] = seen
            natives |= _natives(seen, item.fields)
    known: KnownTimes = {}
    for (system, object), (records, natives) in groups.items():
        if not natives:
            continue
        found = reader(system, object, list(records), sorted(natives))
        for record_id, native_times in found.items():
            if record_id in records:
                times = records[record_id].conv.field_times(native_times)
                known[(system, record_id)] = times
    return known
