"""A real PostgreSQL server for the state store tests, started from the pgserver wheel.

One server serves the whole test session. Under pytest-xdist every worker opens a
`Server` on the same data folder: pgserver serialises start-up with its own
inter-process lock, runs `initdb` once, lets later callers attach to the running
postmaster, and stops it (here: and deletes the folder) when the last attached
process leaves. Store tests share one migrated database per process
(`StoreDatabase`), emptied after each test; migration tests get an empty schema
each (`fresh_schema`); the end-to-end sync gets a whole database (`fresh_database`).

As root (CI containers), PostgreSQL refuses to run; pgserver then runs it as a
system user `pgserver`, created with `useradd` when missing, and adds group/other
read and search permission to every folder above the data folder and above its
binaries (inside the virtual environment) so that user can reach them.
"""

from __future__ import annotations

import hashlib
import platform
import sys
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from sync.migrations import VERSION_KEY
from sync.schema import SCHEMA_VERSION, build_metadata, meta
from sync.store import StateStore

# Where pgserver 0.1.4 publishes wheels; pyproject's dev extra carries the same marker.
WHEEL_PLATFORMS = {
    ("linux", "x86_64"),
    ("darwin", "arm64"),
    ("darwin", "x86_64"),
    ("win32", "AMD64"),
}
WHEEL_MAX_PYTHON = (3, 12)

# Durability off: test databases are thrown away, and fsync dominates CREATE DATABASE.
FAST_SETTINGS = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
DATABASE_PREFIX = "crmops_test_"
SCHEMA_PREFIX = "crmops_schema_"
DROP_LOCK_TIMEOUT = "10s"
TABLES_SQL = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
RESTART_SEQUENCES_SQL = (
    "SELECT setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE c.relkind = 'S' AND n.nspname = current_schema()"
)


def wheel_available() -> bool:
    """True where pip can install pgserver from a wheel (no source build)."""
    here = (sys.platform, platform.machine())
    in_range = sys.version_info[:2] <= WHEEL_MAX_PYTHON
    return in_range and here in WHEEL_PLATFORMS


def missing_reason() -> str:
    """Why the PostgreSQL tests cannot run here, for the skip message."""
    return (
        f"PostgreSQL state store tests NOT RUN: pgserver ships no wheel for "
        f"{sys.platform}/{platform.machine()} Python {sys.version_info[0]}.{sys.version_info[1]} "
        "(wheels: manylinux x86_64, macOS, Windows AMD64; Python <= 3.12)"
    )


def import_pgserver() -> Any | None:
    """The pgserver module, or None when it is not installed."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; pgserver falls back to /tmp.
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError:
            return None
    return pgserver


def data_folder(session_folder: Path) -> Path:
    """The server's data folder for one test session, outside pytest's temp folders.

    pytest deletes all but its three newest temp folders when a session starts, so a
    concurrent session on the same machine could remove a running server's data; a
    folder named after the session's own temp folder is shared by its workers only.
    """
    tag = hashlib.sha256(str(session_folder.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"crmops-pg-{tag}"


class Server:
    """A running server with one admin connection pool for creating and dropping databases."""

    def __init__(self, pgdata: Path) -> None:
        pgserver = import_pgserver()
        assert pgserver is not None, "pgserver is not installed"
        import fasteners  # pgserver's own dependency

        # pgserver locks start-up and shutdown, but not its mkdir nor the folder's
        # deletion: without this lock a worker starting while the last one leaves
        # could see its folder deleted under it.
        self._pgdata, self._lock_file = pgdata, pgdata.with_suffix(".lock")
        self._lock = fasteners.InterProcessLock(str(self._lock_file))
        with self._lock:
            pgdata.mkdir(exist_ok=True)
            self._server = pgserver.get_server(pgdata, cleanup_mode="delete")
        self.admin_url: str = self._server.get_uri()
        self._admin = create_engine(_psycopg(self.admin_url), isolation_level="AUTOCOMMIT")
        with self._admin.connect() as conn:
            for name, value in FAST_SETTINGS.items():
                conn.execute(text(f"ALTER SYSTEM SET {name} = '{value}'"))
            conn.execute(text("SELECT pg_reload_conf()"))

    @contextmanager
    def fresh_database(self) -> Iterator[str]:
        """An empty database of this test's own; dropped afterwards, even if still in use.

        Yields:
            A plain `postgresql://` URL of the new database, as a user would set it.
        """
        url = self.create_database()
        try:
            yield url
        finally:
            self.drop_database(url)

    @contextmanager
    def fresh_schema(self) -> Iterator[str]:
        """An empty schema that a URL's connections see as their whole database.

        CREATE DATABASE copies a template on disk (0.1-0.5 s on a busy machine);
        a schema costs about a millisecond. The URL's `search_path` holds only the
        new schema, so crmops creates, inspects and queries its tables there.

        Yields:
            A `postgresql://` URL whose connections work inside the new schema.
        """
        name = SCHEMA_PREFIX + uuid.uuid4().hex[:12]
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        url = make_url(self.admin_url)
        query = {**url.query, "options": f"-csearch_path={name}"}
        try:
            yield url.set(query=query).render_as_string(hide_password=False)
        finally:
            with self._admin.connect() as conn:
                # A store a test left open in a transaction would block the drop forever.
                conn.execute(text(f"SET lock_timeout = '{DROP_LOCK_TIMEOUT}'"))
                conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))

    def create_database(self) -> str:
        """Create an empty database; returns its plain `postgresql://` URL."""
        name = DATABASE_PREFIX + uuid.uuid4().hex[:12]
        with self._admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0'))
        return make_url(self.admin_url).set(database=name).render_as_string(hide_password=False)

    def drop_database(self, url: str) -> None:
        """Drop a database made by `create_database`, ending any session still in it."""
        name = make_url(url).database
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def stop(self) -> None:
        """Detach; the last process attached stops the server and deletes its data folder."""
        self._admin.dispose()
        with self._lock:
            self._server.cleanup()
            if not self._pgdata.exists():  # this was the last process: leave no lock file
                self._lock_file.unlink(missing_ok=True)


class StoreDatabase:
    """One migrated state store database per process, emptied after each test.

    Creating the schema costs some 30 DDL statements (0.1-0.3 s); emptying it costs
    a DELETE per table (about 0.01 s for a test's few rows; TRUNCATE, which makes
    new files for every table and index, takes three times as long). With the
    sequences restarted and the version row written back, the database holds
    exactly what a fresh migration leaves: no rows but `meta`'s schema version,
    identities starting at 1. When
    emptying fails (a test left a transaction open) or the tables differ from the
    current schema, the database is dropped and the next test gets a new one.
    """

    def __init__(self, server: Server) -> None:
        self._server = server
        self._url: str | None = None
        self._engine: Engine | None = None

    def url(self) -> str:
        """The URL of the migrated, empty database, creating it on first use."""
        if self._url is None:
            self._url = self._server.create_database()
            StateStore(self._url).close()  # migrates to the current version
            self._engine = create_engine(_psycopg(self._url))
        return self._url

    def empty(self) -> None:
        """Bring the database back to its just-migrated state, or drop it."""
        if self._engine is None:
            return
        try:
            with self._engine.begin() as conn:
                conn.execute(text(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'"))
                names = conn.execute(text(TABLES_SQL)).scalars().all()
                current = build_metadata()
                if set(names) != set(current.tables):
                    raise RuntimeError(f"tables changed: {sorted(names)}")
                for table in reversed(current.sorted_tables):  # children before parents
                    conn.execute(table.delete())
                conn.execute(text(RESTART_SEQUENCES_SQL))
                conn.execute(meta.insert().values(key=VERSION_KEY, value=str(SCHEMA_VERSION)))
        except (DBAPIError, RuntimeError):
            self.drop()

    def drop(self) -> None:
        """Drop the database (the next `url()` makes a new one)."""
        if self._engine is not None:
            self._engine.dispose()
        if self._url is not None:
            self._server.drop_database(self._url)
        self._url, self._engine = None, None


def _psycopg(url: str) -> str:
    return make_url(url).set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
