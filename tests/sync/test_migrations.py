"""Schema versions: fresh databases, the v1 -> v2 upgrade, and refusing newer databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, inspect, select

from sync import schema as t
from sync.database import open_engine
from sync.migrations import STEPS, SchemaTooNew, SchemaUnknown, migrate, stored_version
from sync.schema import SCHEMA_VERSION, build_metadata
from sync.store import StateStore
from sync.store_types import BaseValue

WHEN = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def url(empty_state_url: str) -> str:
    return empty_state_url


def _version(engine: Engine) -> int:
    with engine.connect() as conn:
        return stored_version(conn)


def _shape(engine: Engine) -> dict[str, tuple[set[str], set[str]]]:
    inspector = inspect(engine)
    return {
        name: (
            {c["name"] for c in inspector.get_columns(name)},
            # PostgreSQL also reports unique constraints as indexes; compare plain ones.
            {
                i["name"] or ""
                for i in inspector.get_indexes(name)
                if not i.get("duplicates_constraint")
            },
        )
        for name in inspector.get_table_names()
    }


def _expected_shape(version: int) -> dict[str, tuple[set[str], set[str]]]:
    md = build_metadata(version)
    return {
        name: ({c.name for c in table.columns}, {i.name or "" for i in table.indexes})
        for name, table in md.tables.items()
    }


def test_steps_are_consecutive_and_end_at_the_current_version() -> None:
    assert [s.version for s in STEPS] == list(range(1, SCHEMA_VERSION + 1))


def test_fresh_database_matches_the_current_metadata(url: str) -> None:
    engine = open_engine(url)
    assert migrate(engine) == list(range(1, SCHEMA_VERSION + 1))
    assert _shape(engine) == _expected_shape(SCHEMA_VERSION)
    assert _version(engine) == SCHEMA_VERSION
    assert migrate(engine) == []
    engine.dispose()


def _fill_v1(engine: Engine) -> None:
    v1 = build_metadata(1).tables
    with engine.begin() as conn:
        conn.execute(
            v1["entities"].insert().values(stable_id="a" * 32, kind="person", created=WHEN)
        )
        conn.execute(
            v1["links"]
            .insert()
            .values(
                stable_id="a" * 32, system="hubspot", object="contacts", record_id="5", updated=WHEN
            )
        )
        conn.execute(
            v1["bases"].insert().values(stable_id="a" * 32, field="email", value="x@y", synced=WHEN)
        )
        conn.execute(
            v1["reviews"]
            .insert()
            .values(
                kind="duplicate",
                system="salesforce",
                object="Lead",
                record_id="00Q1",
                detail={"ids": ["00Q1", "00Q2"]},
                created=WHEN,
            )
        )


def test_v1_database_is_migrated_and_keeps_its_rows(url: str) -> None:
    engine = open_engine(url)
    assert migrate(engine, target=1) == [1]
    assert _shape(engine) == _expected_shape(1)
    _fill_v1(engine)
    engine.dispose()

    with StateStore(url) as store:
        assert store.links_for_records("hubspot", "contacts", ["5"]) == {"5": "a" * 32}
        assert store.bases_for(["a" * 32]) == {"a" * 32: {"email": "x@y"}}
        (item,) = store.reviews()
        assert item.detail == {"ids": ["00Q1", "00Q2"]} and item.resolution is None
        assert store.resolve_review(item.id, "merged in Salesforce")
        store.set_bases([BaseValue("a" * 32, "phone", None)])
        assert _version(store.engine) == SCHEMA_VERSION
        assert _shape(store.engine) == _expected_shape(SCHEMA_VERSION)


def test_database_newer_than_the_code_is_refused_untouched(url: str) -> None:
    with StateStore(url) as store, store.engine.begin() as conn:
        conn.execute(t.meta.update().where(t.meta.c.key == "schema_version").values(value="99"))
    with pytest.raises(SchemaTooNew, match=r"version 99.*upgrade crmops"):
        StateStore(url)
    engine = open_engine(url)
    with engine.connect() as conn:
        assert (
            conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).scalar()
            == "99"
        )
    engine.dispose()


def test_failed_step_leaves_the_database_as_it_was(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_engine(url)
    migrate(engine, target=1)
    _fill_v1(engine)

    def broken(_conn: object) -> None:
        raise RuntimeError("disk full")

    from sync import migrations

    monkeypatch.setattr(migrations, "STEPS", (STEPS[0], migrations.Step(2, "broken", broken)))
    with pytest.raises(RuntimeError, match="disk full"):
        migrate(engine)
    assert _version(engine) == 1
    assert _shape(engine) == _expected_shape(1)
    engine.dispose()


def test_v2_step_is_rolled_back_with_its_ddl_when_the_version_write_fails(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_engine(url)
    migrate(engine, target=1)
    from sync import migrations

    def fail(*_args: object) -> None:
        raise RuntimeError("crash after DDL")

    monkeypatch.setattr(migrations, "_write_version", fail)
    with pytest.raises(RuntimeError):
        migrate(engine)
    assert _shape(engine) == _expected_shape(1)  # the added column and index are gone
    engine.dispose()


def test_foreign_database_is_refused(url: str) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(SchemaUnknown, match="customers"):
        migrate(engine)
    engine.dispose()
