"""Fixtures for the state store tests: a state URL on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync import postgres

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[postgres.Server]:
    """One PostgreSQL server per session, shared by the xdist workers."""
    if postgres.import_pgserver() is None:
        if postgres.wheel_available():
            pytest.fail(
                "pgserver is not installed although it has a wheel for this platform: "
                "run `python3 dev.py setup` (it installs the dev extra)",
                pytrace=False,
            )
        pytest.skip(postgres.missing_reason())
    session = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        session = session.parent  # the folder every worker's basetemp sits in
    server = postgres.Server(postgres.data_folder(session))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_store_db(postgres_server: postgres.Server) -> Iterator[postgres.StoreDatabase]:
    """This process's migrated state store database, reused test after test."""
    database = postgres.StoreDatabase(postgres_server)
    yield database
    database.drop()


@pytest.fixture
def postgres_url(postgres_store_db: postgres.StoreDatabase) -> Iterator[str]:
    """A plain `postgresql://` URL of a migrated state store holding no data.

    The database is shared by the tests of one process and emptied after each,
    so a test sees it exactly as a fresh migration leaves it.
    """
    yield postgres_store_db.url()
    postgres_store_db.empty()


@pytest.fixture
def postgres_empty_url(postgres_server: postgres.Server) -> Iterator[str]:
    """A `postgresql://` URL that sees a database with no tables at all (a fresh schema)."""
    with postgres_server.fresh_schema() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A state store URL with no data, once on a SQLite file and once on PostgreSQL."""
    return _url(request, tmp_path, "postgres_url")


@pytest.fixture(params=BACKENDS)
def empty_state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of a database without any tables, for migration tests, on both backends."""
    return _url(request, tmp_path, "postgres_empty_url")


def _url(request: pytest.FixtureRequest, tmp_path: Path, postgres_fixture: str) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    url: str = request.getfixturevalue(postgres_fixture)
    return url
