"""What every part of the state store shares: the engine, the clock, transactions, upserts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Insert, Table
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
        self._local = threading.local()  # the open `transaction()`, per thread

    def _now(self) -> datetime:
        return self._clock()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run several store calls as one transaction: all of them commit, or none.

        For steps a crash must not split, e.g. marking a batch's journal entries
        written together with the new bases and links it produced. Calls inside
        join it; a nested `transaction()` joins the outer one.
        """
        if getattr(self._local, "conn", None) is not None:
            yield
            return
        with self._engine.begin() as conn:
            self._local.conn = conn
            try:
                yield
            finally:
                self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One transaction (or the open `transaction()`): all inside commits together.

        Inside `transaction()` a call runs in a savepoint, so a call that fails
        (a refused link, say) leaves nothing half-written even if the caller
        catches the error and goes on.
        """
        joined = getattr(self._local, "conn", None)
        if joined is not None:
            with joined.begin_nested():
                yield joined
            return
        with self._engine.begin() as conn:
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A read-only transaction (a consistent snapshot; no write lock on SQLite).

        Inside `transaction()` reads use its connection, so they see its writes
        (and SQLite does not wait on a lock this thread holds itself).
        """
        joined = getattr(self._local, "conn", None)
        if joined is not None:
            yield joined
            return
        with self._engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            with conn.begin():
                yield conn


def _dialect_insert(conn: Connection, table: Table) -> Any:
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table)
    if name == "postgresql":
        return postgresql.insert(table)
    raise StoreError(f"the state store supports SQLite and PostgreSQL, not {name}")


def insert_new(
    conn: Connection, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> set[Any]:
    """Insert the rows whose key is not taken yet; returns the keys this call inserted.

    ON CONFLICT DO NOTHING RETURNING makes the choice atomic: of two processes
    recording the same key, exactly one gets it back (and may act on it).

    Args:
        conn: a connection inside a write transaction.
        table: the table; `key` must be its primary key or unique.
        key: the column returned to tell which rows went in.
        rows: the rows, each with the same columns.
    """
    if not rows:
        return set()
    stmt = _dialect_insert(conn, table).on_conflict_do_nothing().returning(table.c[key])
    return set(conn.execute(stmt, list(rows)).scalars())


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
    stmt = _dialect_insert(conn, table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    bulk_write(
        conn, table, stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows
    )


def _same(value: Any) -> Any:
    return value


def bulk_write(
    conn: Connection, table: Table, stmt: Insert, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Execute an INSERT for many rows as one executemany, converting values per column.

    SQLAlchemy's generic executemany path builds parameters row by row through
    the compiled statement; compiling once and applying each column type's bind
    processor directly took about a quarter less CPU for 200,000 bases on SQLite,
    with the same stored values (the same type processors run).

    Args:
        conn: a connection inside a write transaction.
        table: the table whose column types convert the values.
        stmt: an INSERT (optionally with ON CONFLICT) on `table`, without values.
        rows: the rows, each with the same columns.
    """
    if not rows:
        return
    keys = list(rows[0])
    compiled = stmt.compile(dialect=conn.dialect, column_keys=keys)
    order = list(compiled.positiontup or ()) if compiled.positional else keys
    convert = [table.c[k].type.bind_processor(conn.dialect) or _same for k in order]
    params = [[f(row[k]) for f, k in zip(convert, order, strict=True)] for row in rows]
    if compiled.positional:
        conn.exec_driver_sql(compiled.string, [tuple(p) for p in params])
    else:
        conn.exec_driver_sql(compiled.string, [dict(zip(order, p, strict=True)) for p in params])
