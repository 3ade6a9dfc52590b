"""Record writes with HubSpot's rules: validation, unique emails, lifecycle, modified times."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sandbox.clock import SandboxClock
from sandbox.hubspot.associations import link
from sandbox.hubspot.constants import (
    CREATED_PROPERTY,
    DEFAULT_PROPERTIES,
    MODIFIED_PROPERTY,
    SINGULAR,
)
from sandbox.hubspot.errors import ApiError
from sandbox.hubspot.schema import LIFECYCLE_ORDER, PortalSchema, property_error
from sandbox.hubspot.store import HistoryEntry, Row, Store
from sandbox.hubspot.timefmt import iso, to_ms

# `sourceType` of property history entries: API writes, edits by users, seeded values.
API_SOURCE, USER_SOURCE, SEEDED_SOURCE = "INTEGRATION", "CRM_UI", "IMPORT"
SOURCE_ID = "sandbox"


@dataclass
class Write:
    """One validated write waiting to be applied: a new record (row.id fresh) or a change."""

    row: Row
    values: dict[str, str]
    new: bool
    associations: list[tuple[str, int, int]] = field(default_factory=list)


class Records:
    """Reads and writes records of every object type."""

    def __init__(self, store: Store, schema: PortalSchema, clock: SandboxClock) -> None:
        self.store = store
        self.schema = schema
        self.clock = clock

    def now_ms(self) -> int:
        """The sandbox clock in epoch ms."""
        return to_ms(self.clock.now())

    def render(self, row: Row, names: Iterable[str] | None = None) -> dict[str, Any]:
        """A record as HubSpot answers it (all property values strings)."""
        wanted = list(names) if names else list(DEFAULT_PROPERTIES[row.type])
        system = {
            "hs_object_id": str(row.id),
            CREATED_PROPERTY[row.type]: iso(row.created_ms),
            MODIFIED_PROPERTY[row.type]: iso(row.modified_ms),
        }
        props: dict[str, str | None] = dict(system)
        for name in wanted:
            if name in system:
                continue
            if name in row.props or self.schema.get(row.type, name) is not None:
                value = row.props.get(name)
                props[name] = value if value != "" else None
        body: dict[str, Any] = {
            "id": str(row.id),
            "properties": props,
            "createdAt": iso(row.created_ms),
            "updatedAt": iso(row.modified_ms),
            "archived": row.archived,
        }
        if row.archived and row.archived_ms is not None:
            body["archivedAt"] = iso(row.archived_ms)
        return body

    def history(self, rows: list[Row], names: Iterable[str]) -> dict[int, dict[str, Any]]:
        """`propertiesWithHistory` of each row: every value a property held, newest first.

        A value with no recorded change (seeded data) is listed as set when the record was.
        """
        wanted = list(dict.fromkeys(names))
        by_type: dict[str, list[Row]] = {}
        for row in rows:
            by_type.setdefault(row.type, []).append(row)
        answer: dict[int, dict[str, Any]] = {}
        for object_type, group in by_type.items():
            found = self.store.history(object_type, [r.id for r in group], wanted)
            for row in group:
                answer[row.id] = {
                    name: _history_of(row, name, found.get(row.id, {}).get(name, []))
                    for name in wanted
                }
        return answer

    def live(self, object_type: str, raw_id: str, id_property: str | None = None) -> Row | None:
        """A live record by id (merged-away ids answer the winner) or by a unique property."""
        if id_property and id_property != "hs_object_id":
            found = self.store.find_unique(object_type, id_property, raw_id)
            return self.live(object_type, str(found)) if found is not None else None
        if not raw_id.isdigit():
            return None
        row = self.store.get(object_type, int(raw_id))
        if row is None:
            merged = self.store.query(
                "SELECT winner_id FROM merged WHERE type=? AND loser_id=?",
                (object_type, int(raw_id)),
            )
            return self.live(object_type, str(merged[0][0])) if merged else None
        return None if row.archived else row

    def plan_create(self, object_type: str, values: dict[str, Any]) -> Write:
        """Validate a new record's properties.

        Raises:
            ApiError: on an invalid property, a missing required one, or a duplicate.
        """
        cleaned = self.schema.clean(object_type, values)
        for prop in self.schema.properties[object_type].values():
            if prop.required and not cleaned.get(prop.name):
                raise property_error(prop.name, f"{prop.name} is required", "REQUIRED_PROPERTY")
        now = self.now_ms()
        row = Row(object_type, 0, now, now, False, None, {})
        return Write(row, cleaned, new=True)

    def plan_update(self, row: Row, values: dict[str, Any]) -> Write:
        """Validate a change; a backward lifecycle stage is dropped silently, as HubSpot does."""
        cleaned = self.schema.clean(row.type, values)
        stage = cleaned.get("lifecyclestage")
        current = row.props.get("lifecyclestage", "")
        if stage and current and _stage_rank(stage) < _stage_rank(current):
            del cleaned["lifecyclestage"]
        return Write(row, cleaned, new=False)

    def check_unique(self, writes: list[Write]) -> None:
        """Refuse the whole set on the first value another record (or input) already holds.

        Raises:
            ApiError: 409 CONFLICT naming the existing record.
        """
        claimed: dict[tuple[str, str], int] = {}
        for write in writes:
            for name, value in write.values.items():
                prop = self.schema.get(write.row.type, name)
                if prop is None or not prop.unique or not value.strip():
                    continue
                key = (name, value.strip().lower())
                holder = self.store.find_unique(write.row.type, name, value)
                if holder is None:
                    holder = claimed.get(key)
                if holder is not None and (write.new or holder != write.row.id):
                    raise _conflict(write.row.type, name, holder)
                claimed[key] = write.row.id or -1

    def apply(self, writes: list[Write]) -> list[Row]:
        """Write everything in one transaction; every write moves the modified time."""
        now = self.now_ms()
        with self.store.transaction():
            # Checked under the store lock, so two racing creates cannot both claim an email.
            self.check_unique(writes)
            for write in writes:
                if write.new:
                    write.row.id = self.store.next_id()
                    write.row.created_ms = now
                else:
                    # Apply the change to the record as it is now, not as it was read.
                    write.row = self.store.get(write.row.type, write.row.id) or write.row
                row = write.row
                changed = {k: v for k, v in write.values.items() if row.props.get(k, "") != v}
                row.props.update(write.values)
                row.modified_ms = now
                self.store.save(row)
                self.store.record_changes(row.type, row.id, changed, now, API_SOURCE)
                for name, value in write.values.items():
                    prop = self.schema.get(row.type, name)
                    if prop is not None and prop.unique:
                        self.store.set_unique(row.type, name, value, row.id)
                for to_type, to_id, type_id in write.associations:
                    link(self.store, row.type, row.id, to_type, to_id, type_id)
        return [w.row for w in writes]

    def archive(self, object_type: str, ids: Iterable[int]) -> None:
        """Archive records; the modified time stays where it was (HubSpot's behaviour)."""
        now = self.now_ms()
        with self.store.transaction():
            for row in self.store.get_many(object_type, ids).values():
                if row.archived:
                    continue
                row.archived, row.archived_ms = True, now
                self.store.save(row)
                self.store.drop_uniques(object_type, row.id)

    def merge(self, kind: str, winner: Row, loser: Row) -> Row:
        """Winner keeps its values (blanks filled from the loser); the loser's id points at it."""
        store = self.store
        merged_ids = [i for i in winner.props.get("hs_merged_object_ids", "").split(";") if i]
        merged_ids.append(str(loser.id))
        with store.transaction() as db:
            for name, value in loser.props.items():
                if value and not winner.props.get(name) and name != "hs_merged_object_ids":
                    winner.props[name] = value
            winner.props["hs_merged_object_ids"] = ";".join(merged_ids)
            winner.modified_ms = self.now_ms()
            loser_uniques = db.execute(
                "SELECT prop, value FROM uniques WHERE type=? AND id=?", (kind, loser.id)
            ).fetchall()
            for side in ("from", "to"):
                db.execute(
                    f"UPDATE OR IGNORE associations SET {side}_id=?"
                    f" WHERE {side}_type=? AND {side}_id=?",
                    (winner.id, kind, loser.id),
                )
            store.delete(kind, loser.id)
            store.save(winner)
            # The loser's unique values (its email) now find the winner, as secondary values do.
            db.executemany(
                "INSERT OR IGNORE INTO uniques VALUES(?,?,?,?)",
                [(kind, p, v, winner.id) for p, v in loser_uniques],
            )
            db.execute(
                "UPDATE merged SET winner_id=? WHERE type=? AND winner_id=?",
                (winner.id, kind, loser.id),
            )
            db.execute("INSERT OR REPLACE INTO merged VALUES(?,?,?)", (kind, loser.id, winner.id))
        return winner


def _history_of(row: Row, name: str, entries: list[HistoryEntry]) -> list[dict[str, str]]:
    value = row.props.get(name, "")
    if not entries and value:
        entries = [(row.created_ms, value, SEEDED_SOURCE)]
    return [
        {"value": v, "timestamp": iso(ms), "sourceType": source, "sourceId": SOURCE_ID}
        for ms, v, source in entries
    ]


def _stage_rank(stage: str) -> int:
    return LIFECYCLE_ORDER.index(stage) if stage in LIFECYCLE_ORDER else len(LIFECYCLE_ORDER)


def _conflict(object_type: str, name: str, holder: int) -> ApiError:
    if object_type == "contacts" and name == "email":
        return ApiError(409, f"Contact already exists. Existing ID: {holder}", "CONFLICT")
    singular = SINGULAR[object_type].capitalize()
    return ApiError(
        409, f"{singular} with {name} already exists. Existing ID: {holder}", "CONFLICT"
    )
