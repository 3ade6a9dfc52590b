"""`crmops sync` end to end with its state in PostgreSQL: CRMOPS_STATE_URL names the database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from cli import app
from integrations.provisioning import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync.migrations import stored_version
from sync.schema import SCHEMA_VERSION
from sync.store import StateStore
from tests.e2e.support import connectors, env
from tests.sync.postgres import Server

runner = CliRunner()
WRITES = ("creates", "updates", "links", "moves", "associations", "tasks")


@pytest.fixture
def database(postgres_server: Server) -> Iterator[str]:
    """A whole new database (not a schema), addressed by a plain URL as a user would."""
    with postgres_server.fresh_database() as url:
        yield url


@pytest.fixture
def sandbox() -> Iterator[Any]:
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        both = connectors(sb)
        both["salesforce"].provision(SALESFORCE_FIELDS, False)
        both["hubspot"].provision(HUBSPOT_PROPERTIES, False)
        yield sb


def _sync(sb: Any, url: str) -> dict[str, Any]:
    result = runner.invoke(app, ["sync", "--json"], env=env(sb, url))
    assert result.exit_code == 0, result.output
    answer: dict[str, Any] = json.loads(result.output)
    return answer


def test_sync_keeps_its_state_in_postgresql_and_a_rerun_plans_nothing(
    sandbox: Any, database: str
) -> None:
    first = _sync(sandbox, database)
    assert first["plan"]["links"] > 0 and first["plan"]["creates"] > 0
    assert sum(first["applied"]["fields_written"].values()) > 0

    with StateStore(database) as store:
        with store.engine.connect() as conn:
            assert stored_version(conn) == SCHEMA_VERSION
        assert "journal" in inspect(store.engine).get_table_names(schema="public")
        assert len(store.links_of("hubspot", "contacts")) > 0
        (run,) = store.runs(kind="sync")
        assert run.id == first["run_id"]

    again = _sync(sandbox, database)
    assert again["changes"] == []
    assert {name: again["plan"][name] for name in WRITES} == dict.fromkeys(WRITES, 0)
    assert sum(again["applied"]["fields_written"].values()) == 0
    assert again["run_id"] == first["run_id"] + 1
