"""Ordered schema migration steps; opening a database brings it to the current version.

Each step moves the schema one version forward and only adds (tables, columns,
indexes): an upgrade never drops data. All pending steps and the new version
number are written in one transaction, so a failed upgrade leaves the database
as it was. A database written by a newer crmops is refused, not downgraded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Column, Connection, Engine, Table, inspect, select, text

from sync.schema import SCHEMA_VERSION, build_metadata, meta

VERSION_KEY = "schema_version"


class SchemaTooNew(RuntimeError):
    """The database was written by a newer crmops than this one."""


class SchemaUnknown(RuntimeError):
    """The database has tables but no schema version: not a crmops state store."""


@dataclass(frozen=True)
class Step:
    """One migration: `apply` brings a database at `version - 1` to `version`."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _create_v1(conn: Connection) -> None:
    build_metadata(1).create_all(conn)


def _add_column(conn: Connection, table: Table, column: Column[object]) -> None:
    # Portable ALTER: SQLite and PostgreSQL both accept ADD COLUMN with a type.
    type_sql = column.type.compile(dialect=conn.dialect)
    prep = conn.dialect.identifier_preparer
    conn.execute(
        text(
            f"ALTER TABLE {prep.quote(table.name)} ADD COLUMN {prep.quote(column.name)} {type_sql}"
        )
    )


def _v2_resolution_and_record_indexes(conn: Connection) -> None:
    current = build_metadata(2)
    reviews = current.tables["reviews"]
    _add_column(conn, reviews, reviews.c.resolution)
    for table, name in (("journal", "ix_journal_record"), ("links", "ix_links_system_record")):
        index = next(i for i in current.tables[table].indexes if i.name == name)
        index.create(conn)


def _v3_link_versions(conn: Connection) -> None:
    links = build_metadata(3).tables["links"]
    _add_column(conn, links, links.c.version)


def _v4_entity_aliases(conn: Connection) -> None:
    build_metadata(4).tables["entity_aliases"].create(conn)


STEPS: tuple[Step, ...] = (
    Step(1, "create every table", _create_v1),
    Step(
        2,
        "reviews.resolution (how an item was settled); indexes: journal by record (undo), "
        "links by system and record id alone",
        _v2_resolution_and_record_indexes,
    ),
    Step(3, "links.version (a record's modified time when last synced)", _v3_link_versions),
    Step(4, "entity_aliases (a merged-away stable id -> the id kept)", _v4_entity_aliases),
)


def stored_version(conn: Connection) -> int:
    """The schema version recorded in the database; 0 for an empty database.

    Raises:
        SchemaUnknown: tables exist but none of them is crmops's meta table.
    """
    tables = set(inspect(conn).get_table_names())
    if "meta" not in tables:
        if tables:
            raise SchemaUnknown(
                "the state database holds tables but no crmops schema version: "
                + ", ".join(sorted(tables)[:5])
            )
        return 0
    value = conn.execute(select(meta.c.value).where(meta.c.key == VERSION_KEY)).scalar()
    if value is None:
        raise SchemaUnknown("the state database has a meta table but no schema_version row")
    return int(value)


def _write_version(conn: Connection, version: int, had: int) -> None:
    if had == 0:
        conn.execute(meta.insert().values(key=VERSION_KEY, value=str(version)))
    else:
        conn.execute(meta.update().where(meta.c.key == VERSION_KEY).values(value=str(version)))


def migrate(engine: Engine, target: int = SCHEMA_VERSION) -> list[int]:
    """Bring the database to `target`, in one transaction.

    Args:
        engine: the state store's engine.
        target: the version to reach (tests build older databases with it).

    Returns:
        The versions applied, oldest first; empty when already current.

    Raises:
        SchemaTooNew: the database is newer than this code understands.
    """
    with engine.begin() as conn:
        had = stored_version(conn)
        if had > SCHEMA_VERSION:
            raise SchemaTooNew(
                f"the state database is at schema version {had}, but this crmops only "
                f"knows up to version {SCHEMA_VERSION}: upgrade crmops; the database "
                "was left untouched"
            )
        pending = [s for s in STEPS if had < s.version <= target]
        for step in pending:
            step.apply(conn)
        if pending:
            _write_version(conn, pending[-1].version, had)
    return [s.version for s in pending]
