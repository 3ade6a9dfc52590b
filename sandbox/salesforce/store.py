"""SQLite record store: one row per record, hot fields in indexed columns, the rest as JSON."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Fields looked up by value (external ids for upserts and matching, names for searches);
# each gets a case-insensitive expression index, as SOQL equality on text ignores case.
INDEXED_JSON_FIELDS = ("HubSpot_Id__c", "Crmops_Key__c", "LastName")

_SCHEMA = [
    """CREATE TABLE IF NOT EXISTS records (
        id TEXT PRIMARY KEY,
        obj TEXT NOT NULL,
        modstamp TEXT NOT NULL,
        deleted INTEGER NOT NULL DEFAULT 0,
        email TEXT COLLATE NOCASE,
        data TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS rec_modstamp ON records(obj, modstamp, id, deleted)",
    "CREATE INDEX IF NOT EXISTS rec_obj_id ON records(obj, id, deleted)",
    "CREATE INDEX IF NOT EXISTS rec_email ON records(obj, email)",
    *(
        f"CREATE INDEX IF NOT EXISTS rec_{name.lower()} "
        f"ON records(obj, json_extract(data, '$.{name}') COLLATE NOCASE)"
        for name in INDEXED_JSON_FIELDS
    ),
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
]


def _row(obj: str, data: dict[str, Any]) -> tuple[str, str, str, int, Any, str]:
    return (
        data["Id"],
        obj,
        data["SystemModstamp"],
        1 if data.get("IsDeleted") else 0,
        data.get("Email"),
        json.dumps(data, separators=(",", ":")),
    )


class Store:
    """All records of the org; thread-safe through one lock around the connection."""

    def __init__(self, path: Path | None = None) -> None:
        self.lock = threading.RLock()
        self.db = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, isolation_level=None
        )
        self.db.execute("PRAGMA synchronous=OFF")
        self.file_backed = path is not None
        if path:
            self.db.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            self.db.execute(statement)

    def close(self) -> None:
        """Close the database."""
        with self.lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all."""
        with self.lock:
            self.db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def is_empty(self) -> bool:
        """True when no record exists yet."""
        with self.lock:
            return self.db.execute("SELECT 1 FROM records LIMIT 1").fetchone() is None

    def clear(self) -> None:
        """Delete every record and all metadata."""
        with self.lock:
            self.db.execute("DELETE FROM records")
            self.db.execute("DELETE FROM meta")

    def load(self, rows: Iterable[tuple[str, dict[str, Any]]], bulk: bool = False) -> int:
        """Insert (object, record) pairs in one transaction; returns how many.

        With `bulk`, the secondary indexes are built once at the end (much faster for a
        million records than keeping them up to date row by row).
        """
        count = 0

        def encoded() -> Iterator[tuple[str, str, str, int, Any, str]]:
            nonlocal count
            for obj, data in rows:
                count += 1
                yield _row(obj, data)

        if bulk and self.file_backed:
            # A rollback journal, not WAL, for the big load: WAL would write every page twice.
            self.db.execute("PRAGMA journal_mode=DELETE")
        with self.transaction():
            if bulk:
                for name in self._index_names():
                    self.db.execute(f"DROP INDEX {name}")
            self.db.executemany("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?)", encoded())
            for statement in _SCHEMA:
                self.db.execute(statement)
        if bulk:
            # Statistics let the planner prefer a selective index over the id order.
            with self.lock:
                self.db.execute("ANALYZE")
        if bulk and self.file_backed:
            self.db.execute("PRAGMA journal_mode=WAL")
        return count

    def _index_names(self) -> list[str]:
        rows = self.db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'records' "
            "AND name LIKE 'rec_%'"
        ).fetchall()
        return [row[0] for row in rows]

    def put(self, obj: str, data: dict[str, Any]) -> None:
        """Insert or replace one record."""
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO records VALUES (?,?,?,?,?,?)", _row(obj, data))

    def get(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """(object, record) for an id, deleted ones included, or None."""
        with self.lock:
            row = self.db.execute(
                "SELECT obj, data FROM records WHERE id = ?", (record_id,)
            ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def get_many(self, record_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Records by id (missing ones absent)."""
        found: dict[str, dict[str, Any]] = {}
        with self.lock:
            for start in range(0, len(record_ids), 500):
                chunk = record_ids[start : start + 500]
                marks = ",".join("?" for _ in chunk)
                for row in self.db.execute(
                    f"SELECT id, data FROM records WHERE id IN ({marks})", chunk
                ):
                    found[row[0]] = json.loads(row[1])
        return found

    def find(self, obj: str, field: str, value: Any) -> list[dict[str, Any]]:
        """Live records of an object whose field equals a value, ignoring case like Salesforce."""
        expr = "email" if field == "Email" else f"json_extract(data, '$.{field}')"
        with self.lock:
            rows = self.db.execute(
                f"SELECT data FROM records WHERE obj = ? AND {expr} = ? COLLATE NOCASE "
                "AND deleted = 0",
                (obj, value),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def select(self, sql: str, params: list[Any]) -> list[Any]:
        """Run a read query and return all rows."""
        with self.lock:
            return self.db.execute(sql, params).fetchall()

    def counts(self) -> dict[str, int]:
        """Live records per object."""
        with self.lock:
            rows = self.db.execute(
                "SELECT obj, COUNT(*) FROM records WHERE deleted = 0 GROUP BY obj"
            ).fetchall()
        return {obj: count for obj, count in rows}

    def get_meta(self, key: str, default: Any = None) -> Any:
        """A JSON value from the metadata table."""
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON value in the metadata table."""
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))
