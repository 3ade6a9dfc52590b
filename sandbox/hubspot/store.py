"""SQLite storage for the HubSpot stand-in: one row per record, indexed by modified time and id."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS objects(
  type TEXT NOT NULL, id INTEGER NOT NULL, created_ms INTEGER NOT NULL,
  modified_ms INTEGER NOT NULL, archived INTEGER NOT NULL DEFAULT 0, archived_ms INTEGER,
  props TEXT NOT NULL, PRIMARY KEY(type, id));
CREATE TABLE IF NOT EXISTS uniques(
  type TEXT NOT NULL, prop TEXT NOT NULL, value TEXT NOT NULL, id INTEGER NOT NULL,
  PRIMARY KEY(type, prop, value));
CREATE TABLE IF NOT EXISTS associations(
  from_type TEXT NOT NULL, from_id INTEGER NOT NULL, to_type TEXT NOT NULL,
  to_id INTEGER NOT NULL, type_id INTEGER NOT NULL,
  PRIMARY KEY(from_type, from_id, to_type, to_id, type_id));
CREATE TABLE IF NOT EXISTS merged(
  type TEXT NOT NULL, loser_id INTEGER NOT NULL, winner_id INTEGER NOT NULL,
  PRIMARY KEY(type, loser_id));
CREATE TABLE IF NOT EXISTS owners(id INTEGER PRIMARY KEY, email TEXT, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS history(
  type TEXT NOT NULL, id INTEGER NOT NULL, prop TEXT NOT NULL, ms INTEGER NOT NULL,
  value TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY(type, id, prop, ms));
"""
# Property history: one row per actual value change (seeded values and analytics
# touches write none), so it stays small beside a million records.
HistoryEntry = tuple[int, str, str]  # (epoch ms, value, source type)
# Enumerations worth an index: searches filter on them without a modified-time range.
HOT_PROPERTIES = ("lifecyclestage", "hs_lead_status", "hubspot_owner_id")


def text_expression(name: str) -> str:
    """The SQL a text property is compared through (expression indexes must match it exactly)."""
    clean = name.replace('"', "").replace("'", "")
    return f"lower(NULLIF(json_extract(props, '$.\"{clean}\"'), ''))"


# Secondary indexes: dropped while a seed loads and built once after (much faster).
INDEX_SQL = {
    "objects_modified": "objects(type, archived, modified_ms, id)",
    "objects_archived": "objects(type, archived, id)",
    "uniques_id": "uniques(type, id)",
    **{f"objects_p_{name}": f"objects(type, {text_expression(name)})" for name in HOT_PROPERTIES},
}
INDEXES = "".join(f"CREATE INDEX IF NOT EXISTS {n} ON {on};\n" for n, on in INDEX_SQL.items())
COLUMNS = "type, id, created_ms, modified_ms, archived, archived_ms, props"


@dataclass
class Row:
    """One stored record."""

    type: str
    id: int
    created_ms: int
    modified_ms: int
    archived: bool
    archived_ms: int | None
    props: dict[str, str]

    @classmethod
    def from_db(cls, raw: Sequence[Any]) -> Row:
        """Build from a `SELECT {COLUMNS}` row."""
        return cls(raw[0], raw[1], raw[2], raw[3], bool(raw[4]), raw[5], json.loads(raw[6]))


class Store:
    """All records of one portal. Every method takes the store lock (the server is threaded)."""

    def __init__(self, db_path: Path | None) -> None:
        self.db = sqlite3.connect(str(db_path) if db_path else ":memory:", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL" if db_path else "PRAGMA journal_mode=MEMORY")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-65536")  # 64 MB: index pages stay hot at scale
        self.db.executescript(SCHEMA + INDEXES)
        self.lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of writes: all of a batch lands, or none of it."""
        with self.lock, self.db:
            yield self.db

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of a read query."""
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def get(self, object_type: str, object_id: int) -> Row | None:
        """A record by id, archived or not."""
        rows = self.query(
            f"SELECT {COLUMNS} FROM objects WHERE type=? AND id=?", (object_type, object_id)
        )
        return Row.from_db(rows[0]) if rows else None

    def get_many(self, object_type: str, ids: Iterable[int]) -> dict[int, Row]:
        """Records by id (missing ones left out)."""
        wanted = list(ids)
        if not wanted:
            return {}
        marks = ",".join("?" * len(wanted))
        sql = f"SELECT {COLUMNS} FROM objects WHERE type=? AND id IN ({marks})"
        return {r.id: r for r in map(Row.from_db, self.query(sql, [object_type, *wanted]))}

    def select(self, where: str, params: Sequence[Any], tail: str = "") -> list[Row]:
        """Records matching a WHERE clause (plus ORDER/LIMIT in `tail`)."""
        sql = f"SELECT {COLUMNS} FROM objects WHERE {where} {tail}"
        return [Row.from_db(r) for r in self.query(sql, params)]

    def count(self, where: str, params: Sequence[Any]) -> int:
        """How many records match."""
        return int(self.query(f"SELECT COUNT(*) FROM objects WHERE {where}", params)[0][0])

    def next_id(self) -> int:
        """A fresh record id (ids are unique across object types, as in a portal)."""
        with self.lock:
            raw = self.db.execute("SELECT value FROM meta WHERE key='next_id'").fetchone()
            if raw is None:
                top = self.db.execute("SELECT MAX(id) FROM objects").fetchone()[0] or 100_000
                raw = (str(top + 1),)
            value = int(raw[0])
            self.db.execute("INSERT OR REPLACE INTO meta VALUES('next_id', ?)", (str(value + 1),))
            return value

    def save(self, row: Row) -> None:
        """Insert or replace one record (inside a transaction)."""
        self.db.execute(
            f"INSERT OR REPLACE INTO objects({COLUMNS}) VALUES(?,?,?,?,?,?,?)",
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

    def find_unique(self, object_type: str, prop: str, value: str) -> int | None:
        """The record holding a unique value (compared lower-cased), or None."""
        rows = self.query(
            "SELECT id FROM uniques WHERE type=? AND prop=? AND value=?",
            (object_type, prop, value.strip().lower()),
        )
        return int(rows[0][0]) if rows else None

    def set_unique(self, object_type: str, prop: str, value: str, object_id: int) -> None:
        """Claim (or release, with an empty value) a unique value for a record."""
        self.db.execute(
            "DELETE FROM uniques WHERE type=? AND prop=? AND id=?", (object_type, prop, object_id)
        )
        if value.strip():
            self.db.execute(
                "INSERT OR REPLACE INTO uniques VALUES(?,?,?,?)",
                (object_type, prop, value.strip().lower(), object_id),
            )

    def drop_uniques(self, object_type: str, object_id: int) -> None:
        """Release every unique value a record holds."""
        self.db.execute("DELETE FROM uniques WHERE type=? AND id=?", (object_type, object_id))

    def delete(self, object_type: str, object_id: int) -> None:
        """Remove a record and its associations for good (GDPR delete, merge loser)."""
        self.db.execute("DELETE FROM objects WHERE type=? AND id=?", (object_type, object_id))
        self.db.execute("DELETE FROM history WHERE type=? AND id=?", (object_type, object_id))
        self.drop_uniques(object_type, object_id)
        self.db.execute(
            "DELETE FROM associations WHERE (from_type=? AND from_id=?) OR (to_type=? AND to_id=?)",
            (object_type, object_id, object_type, object_id),
        )

    def record_changes(
        self, object_type: str, object_id: int, values: dict[str, str], ms: int, source: str
    ) -> None:
        """Note properties whose value changed (inside a transaction)."""
        self.db.executemany(
            "INSERT OR REPLACE INTO history VALUES(?,?,?,?,?,?)",
            [(object_type, object_id, p, ms, v, source) for p, v in values.items()],
        )

    def history(
        self, object_type: str, ids: Sequence[int], props: Sequence[str]
    ) -> dict[int, dict[str, list[HistoryEntry]]]:
        """Recorded changes of these properties, newest first, by record id then property."""
        found: dict[int, dict[str, list[HistoryEntry]]] = {}
        if not ids or not props:
            return found
        sql = (
            f"SELECT id, prop, ms, value, source FROM history WHERE type=?"
            f" AND id IN ({','.join('?' * len(ids))}) AND prop IN ({','.join('?' * len(props))})"
            " ORDER BY ms DESC"
        )
        for object_id, prop, ms, value, source in self.query(sql, [object_type, *ids, *props]):
            found.setdefault(object_id, {}).setdefault(prop, []).append((ms, value, source))
        return found

    @contextmanager
    def bulk_load(self) -> Iterator[sqlite3.Connection]:
        """One transaction for a large load; secondary indexes are built once, at the end."""
        with self.transaction() as db:
            for name in INDEX_SQL:
                db.execute(f"DROP INDEX IF EXISTS {name}")
            try:
                yield db
            finally:
                for statement in filter(str.strip, INDEXES.split(";")):
                    db.execute(statement)

    def meta(self, key: str) -> str | None:
        """A stored setting (e.g. properties created through the API)."""
        rows = self.query("SELECT value FROM meta WHERE key=?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        """Keep a setting across restarts of a file-backed sandbox."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES(?, ?)", (key, value))

    def clear(self) -> None:
        """Drop all data (admin reset)."""
        with self.transaction() as db:
            for table in (
                "objects",
                "uniques",
                "associations",
                "merged",
                "owners",
                "meta",
                "history",
            ):
                db.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self.db.close()
