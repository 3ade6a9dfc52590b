"""What every part of the state store shares: the engine, the clock, transactions, upserts."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Table
from sqlalchemy.dialects import postgresql, sqlite

from sync.database import READ_ONLY
from sync.store_types import StoreError

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class StoreBase:
    """Holds the engine and clock; the store's parts are mixins over it."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction: everything inside commits together or not at all."""
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot; no write lock on SQLite)."""
        with self._engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn


def upsert(
    conn: Connection,
    table: Table,
    keys: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Insert rows, replacing the non-key columns of rows whose key already exists.

    One executemany per call, on SQLite and PostgreSQL (both speak ON CONFLICT).

    Args:
        conn: a connection inside a write transaction.
        table: the table; `keys` must be its primary key or a unique constraint.
        keys: the conflict columns.
        rows: the rows, each with the same columns.
    """
    if not rows:
        return
    name = conn.dialect.name
    if name == "sqlite":
        stmt: Any = sqlite.insert(table)
    elif name == "postgresql":
        stmt = postgresql.insert(table)
    else:
        raise StoreError(f"the state store supports SQLite and PostgreSQL, not {name}")
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)
