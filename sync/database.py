"""Opening the state store's database: owner-only SQLite files, WAL, busy timeout, any URL.

The journal, bases and review queue hold personal data, so a SQLite file and its
folder are created owner-only before SQLAlchemy first touches them (SQLite would
otherwise create the file with the process umask).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from integrations.streams import slices

DEFAULT_URL = "sqlite:///.crmops/state.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # a nightly run and a watch job may write at once
DIR_MODE = 0o700
FILE_MODE = 0o600
POSTGRES_SCHEMES = ("postgresql", "postgres")  # hosting providers often hand out postgres://
CHUNK = 500  # ids per IN (...) list: far below every backend's bound-parameter limit

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> list[Sequence[T]]:
    """Consecutive slices of at most `size` items.

    Args:
        items: the sequence to slice.
        size: the largest slice.

    Returns:
        Slices in order; none for an empty sequence.
    """
    return slices(items, size)


def sqlite_path(url: str) -> Path | None:
    """The file a SQLite URL points at, or None for other backends and in-memory databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def prepare_sqlite_file(path: Path) -> None:
    """Create the folder (0700) and an empty file (0600) before SQLite opens it.

    An existing file is left as it is, apart from losing group/other permissions,
    which a state store never needs.
    """
    folder = path.parent
    if not folder.exists():
        folder.mkdir(mode=DIR_MODE, parents=True)
        os.chmod(folder, DIR_MODE)  # mkdir's mode is filtered by the umask
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
        os.close(fd)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        os.chmod(path, mode & 0o700)


READ_ONLY = "crmops_read_only"
"""Execution option: this connection only reads, so SQLite may begin a shared transaction."""


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite would start transactions only before DML, leaving DDL (migrations)
    # outside them; crmops issues BEGIN itself in `_sqlite_on_begin` instead.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe under WAL; a crash loses no commit
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: a deferred transaction that reads and
    # then writes fails at once under WAL when another writer got in between,
    # whereas waiting for the lock honours the busy timeout.
    if conn.get_execution_options().get(READ_ONLY):
        conn.exec_driver_sql("BEGIN")
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_engine(url: str = DEFAULT_URL) -> Engine:
    """An engine for the state store at `url` (SQLite file by default, or PostgreSQL).

    Args:
        url: any SQLAlchemy URL; `sqlite:///relative/path.db` is relative to the
            working directory. PostgreSQL (`postgresql://` or `postgres://`) needs
            the `postgres` extra (psycopg).

    Returns:
        The engine; SQLite connections use WAL, a busy timeout and foreign keys.
    """
    path = sqlite_path(url)
    if path is not None:
        prepare_sqlite_file(path)
    parsed = make_url(url)
    if parsed.drivername in POSTGRES_SCHEMES:
        # The bare scheme would pick psycopg2; crmops ships psycopg (3) in its extra.
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
    return engine
