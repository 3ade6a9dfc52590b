"""Loading the seed (in bulk, from fixtures.seed) and restoring properties created earlier."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sandbox.hubspot.associations import reverse_type
from sandbox.hubspot.constants import CREATED_PROPERTY, MODIFIED_PROPERTY, OBJECT_TYPES
from sandbox.hubspot.store import Row
from sandbox.hubspot.timefmt import parse_ms

if TYPE_CHECKING:
    from sandbox.hubspot.app import HubSpotApp

EPOCH = "2024-01-02T09:00:00.000Z"


def restore_properties(app: HubSpotApp) -> None:
    """Re-create properties made through the API in an earlier run of a file-backed sandbox."""
    for item in json.loads(app.store.meta("created_properties") or "[]"):
        if item["body"]["name"] not in app.schema.properties[item["kind"]]:
            app.schema.create(item["kind"], item["body"])


def row_from_seed(app: HubSpotApp, kind: str, record: dict[str, Any]) -> Row:
    """A seed record (as HubSpot answers it) as a store row; stage labels become stage ids."""
    props = {k: str(v) for k, v in (record.get("properties") or {}).items() if v is not None}
    created = parse_ms(props.pop(CREATED_PROPERTY[kind], None) or record.get("createdAt") or EPOCH)
    modified = parse_ms(
        props.pop(MODIFIED_PROPERTY[kind], None) or record.get("updatedAt") or EPOCH
    )
    for system in ("hs_object_id", "createdate", "hs_createdate"):
        props.pop(system, None)
    if kind == "deals" and props.get("dealstage") in app.stage_ids():
        props["dealstage"] = app.stage_ids()[props["dealstage"]]
    archived = bool(record.get("archived"))
    return Row(
        kind, int(record["id"]), created, modified, archived, modified if archived else None, props
    )


SEED_SQL = {
    "objects": "INSERT OR REPLACE INTO objects VALUES(?,?,?,?,?,?,?)",
    "uniques": "INSERT OR IGNORE INTO uniques VALUES(?,?,?,?)",
    "owners": "INSERT OR REPLACE INTO owners VALUES(?,?,?)",
    "merged": "INSERT OR REPLACE INTO merged VALUES(?,?,?)",
    "associations": "INSERT OR IGNORE INTO associations VALUES(?,?,?,?,?)",
}
# Rows buffered per table before an executemany: memory stays flat at a million records.
SEED_CHUNK = 20_000


def _seed_rows(
    app: HubSpotApp, kind: str, record: dict[str, Any]
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The (table, row) pairs one seed item becomes."""
    if kind == "owners":
        owner = {"type": "PERSON", **record}
        yield "owners", (int(owner["id"]), owner.get("email"), json.dumps(owner))
    elif kind == "associations":
        a, b = record["from_type"], record["to_type"]
        a_id, b_id, type_id = int(record["from_id"]), int(record["to_id"]), int(record["type_id"])
        yield "associations", (a, a_id, b, b_id, type_id)
        yield "associations", (b, b_id, a, a_id, reverse_type(a, b, type_id))
    elif kind in OBJECT_TYPES:
        row = row_from_seed(app, kind, record)
        yield (
            "objects",
            (
                row.type,
                row.id,
                row.created_ms,
                row.modified_ms,
                int(row.archived),
                row.archived_ms,
                json.dumps(row.props),
            ),
        )
        if not row.archived:
            yield from (("uniques", u) for u in _unique_values(app, row))
        losers = row.props.get("hs_merged_object_ids", "")
        yield from (
            ("merged", (kind, int(i), row.id)) for i in losers.split(";") if i.strip().isdigit()
        )


def insert_rows(
    app: HubSpotApp, items: Iterable[tuple[str, dict[str, Any]]], empty_store: bool = False
) -> int:
    """Bulk-insert seed items in one transaction, in chunks; returns how many records went in.

    Args:
        app: the portal.
        items: (object type, record as HubSpot answers it) pairs, as `hubspot_seed` yields.
        empty_store: True for a first load: indexes are then built once at the end.
    """
    buffers: dict[str, list[tuple[Any, ...]]] = {table: [] for table in SEED_SQL}
    count = 0
    loading = app.store.bulk_load() if empty_store else app.store.transaction()
    with loading as db:
        for kind, record in items:
            for table, row in _seed_rows(app, kind, record):
                buffers[table].append(row)
                if len(buffers[table]) >= SEED_CHUNK:
                    db.executemany(SEED_SQL[table], buffers[table])
                    buffers[table].clear()
            count += kind in OBJECT_TYPES
        for table, rows in buffers.items():
            db.executemany(SEED_SQL[table], rows)
    return count


def _unique_values(app: HubSpotApp, row: Row) -> list[tuple[Any, ...]]:
    found = []
    for name, value in row.props.items():
        prop = app.schema.get(row.type, name)
        if value.strip() and (
            (prop is not None and prop.unique) or (row.type, name) == ("contacts", "email")
        ):
            found.append((row.type, name, value.strip().lower(), row.id))
    return found


def load(app: HubSpotApp) -> None:
    """Load `fixtures.seed.hubspot_seed` when it exists, size > 0 and the store is empty."""
    if app.options.size <= 0 or app.store.query("SELECT 1 FROM objects LIMIT 1"):
        return
    try:
        from fixtures.seed import hubspot_seed
    except ModuleNotFoundError as exc:
        if exc.name != "fixtures.seed":
            raise
        return  # no seed module yet: start empty
    insert_rows(app, hubspot_seed(app.options.seed, app.options.size, app.clock.now()), True)
