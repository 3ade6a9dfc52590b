"""The state store's tables as SQLAlchemy Core metadata, built for a given schema version.

`build_metadata()` describes the current schema; `build_metadata(1)` the one the
first release created, which the migration steps start from. A table or column
added later is listed here with the version that introduced it, so the two stay
in step (a test compares a migrated database with the current metadata). The column
types (`UtcDateTime`, `JsonText`) live in `sync.schema_types` and are re-exported here.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.schema import SchemaItem

from sync.schema_types import JsonText as JsonText
from sync.schema_types import UtcDateTime as UtcDateTime

SCHEMA_VERSION = 4
"""The schema version this code writes; `migrations.STEPS` ends at it."""

ID_LEN = 64  # native record ids: Salesforce 18 chars, HubSpot numeric strings
STABLE_ID_LEN = 32  # uuid4 hex
NAME_LEN = 100  # object, field, kind, state and similar short names
KEY_LEN = 255  # task keys and create-intent keys


def _meta(md: MetaData) -> None:
    Table(
        "meta",
        md,
        Column("key", String(NAME_LEN), primary_key=True),
        Column("value", Text, nullable=False),
    )


def _entities(md: MetaData, version: int) -> None:
    Table(
        "entities",
        md,
        Column("stable_id", String(STABLE_ID_LEN), primary_key=True),
        Column("kind", String(NAME_LEN), nullable=False),
        Column("created", UtcDateTime, nullable=False),
    )
    Table(
        "links",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "stable_id",
            String(STABLE_ID_LEN),
            ForeignKey("entities.stable_id"),
            nullable=False,
        ),
        Column("system", String(NAME_LEN), nullable=False),
        Column("object", String(NAME_LEN), nullable=False),
        Column("record_id", String(ID_LEN), nullable=False),
        Column("updated", UtcDateTime, nullable=False),
        UniqueConstraint("system", "object", "record_id", name="uq_links_record"),
        # One native record per system for each stable id; conversions move the link.
        UniqueConstraint("stable_id", "system", name="uq_links_stable_system"),
    )
    if version >= 2:
        # Salesforce ids are unique across objects: a person's Lead, Contact or Person
        # Account is found by id alone.
        links = md.tables["links"]
        Index("ix_links_system_record", links.c.system, links.c.record_id)
    if version >= 3:
        # The record's modified time when a sync last read it: a record re-read in a
        # connector's overlap window with the same time has not changed since.
        md.tables["links"].append_column(Column("version", UtcDateTime, nullable=True))
    if version >= 4:
        # A stable id merged into another (two one-sided entities of one person) ->
        # the id kept, so a saved plan or journal row holding the old id still resolves.
        Table(
            "entity_aliases",
            md,
            Column("stable_id", String(STABLE_ID_LEN), primary_key=True),
            Column("kept", String(STABLE_ID_LEN), nullable=False, index=True),
            Column("created", UtcDateTime, nullable=False),
        )
    Table(
        "bases",
        md,
        Column("stable_id", String(STABLE_ID_LEN), primary_key=True),
        Column("field", String(NAME_LEN), primary_key=True),
        Column("value", JsonText),  # NULL is a synced None; an unsynced field has no row
        Column("synced", UtcDateTime, nullable=False),
    )
    Table(
        "cursors",
        md,
        Column("system", String(NAME_LEN), primary_key=True),
        Column("object", String(NAME_LEN), primary_key=True),
        Column("modified", UtcDateTime, nullable=False),
        Column("record_id", String(ID_LEN), nullable=False),
        Column("updated", UtcDateTime, nullable=False),
    )


def _runs(md: MetaData, version: int) -> None:
    Table(
        "runs",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(NAME_LEN), nullable=False),
        Column("started", UtcDateTime, nullable=False, index=True),
        Column("finished", UtcDateTime),
        Column("status", String(NAME_LEN), nullable=False),
        Column("exit_code", Integer),
        Column("calls", JsonText),
        Column("summary", JsonText),
    )
    journal = Table(
        "journal",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
        Column("seq", Integer, nullable=False),
        Column("stable_id", String(STABLE_ID_LEN)),
        Column("system", String(NAME_LEN), nullable=False),
        Column("object", String(NAME_LEN), nullable=False),
        Column("record_id", String(ID_LEN)),
        Column("field", String(NAME_LEN), nullable=False),
        Column("before", JsonText),
        Column("after", JsonText),
        Column("state", String(NAME_LEN), nullable=False),
        Column("error", Text),
        Column("created", UtcDateTime, nullable=False),
        Column("updated", UtcDateTime, nullable=False),
        Index("ix_journal_run", "run_id", "seq", unique=True),
    )
    if version >= 2:
        # Undo asks "did a later run write this field?"; answered per record.
        Index("ix_journal_record", journal.c.system, journal.c.object, journal.c.record_id)
    Table(
        "artifacts",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(NAME_LEN), nullable=False),
        Column("path", Text, nullable=False),
        Column("run_id", Integer, ForeignKey("runs.id")),
        Column("created", UtcDateTime, nullable=False, index=True),
    )


def _tasks(md: MetaData, version: int) -> None:
    Table(
        "task_keys",
        md,
        Column("key", String(KEY_LEN), primary_key=True),
        Column("system", String(NAME_LEN), nullable=False),
        Column("task_id", String(ID_LEN)),
        Column("stable_id", String(STABLE_ID_LEN), index=True),
        Column("record_id", String(ID_LEN)),
        Column("rule", String(NAME_LEN), nullable=False),
        Column("outreach", Boolean, nullable=False),
        Column("status", String(NAME_LEN), nullable=False),
        Column("run_id", Integer, ForeignKey("runs.id")),
        Column("updated", UtcDateTime, nullable=False),
    )
    Table(
        "intents",
        md,
        Column("system", String(NAME_LEN), primary_key=True),
        Column("object", String(NAME_LEN), primary_key=True),
        Column("key", String(KEY_LEN), primary_key=True),
        Column("run_id", Integer, ForeignKey("runs.id")),
        Column("record_id", String(ID_LEN)),
        Column("created", UtcDateTime, nullable=False),
        Column("resolved", UtcDateTime),
    )
    Table(
        "tombstones",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("system", String(NAME_LEN), nullable=False),
        Column("object", String(NAME_LEN), nullable=False),
        Column("record_id", String(ID_LEN), nullable=False),
        Column("stable_id", String(STABLE_ID_LEN), index=True),
        Column("reason", Text, nullable=False),
        Column("created", UtcDateTime, nullable=False),
        UniqueConstraint("system", "object", "record_id", name="uq_tombstones_record"),
        Index("ix_tombstones_system_record", "system", "record_id"),
    )
    review_columns: list[SchemaItem] = [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("kind", String(NAME_LEN), nullable=False),
        Column("system", String(NAME_LEN), nullable=False),
        Column("object", String(NAME_LEN), nullable=False),
        Column("record_id", String(ID_LEN), nullable=False),
        Column("detail", JsonText),
        Column("run_id", Integer, ForeignKey("runs.id")),
        Column("created", UtcDateTime, nullable=False),
        Column("resolved", UtcDateTime),
    ]
    if version >= 2:
        review_columns.append(Column("resolution", Text))
    Table(
        "reviews",
        md,
        *review_columns,
        Index("ix_reviews_open", "resolved", "kind"),
        Index("ix_reviews_record", "system", "object", "record_id"),
    )
    Table(
        "leases",
        md,
        Column("name", String(KEY_LEN), primary_key=True),
        Column("holder", String(KEY_LEN), nullable=False),
        Column("acquired", UtcDateTime, nullable=False),
        Column("expires", UtcDateTime, nullable=False),
    )


def build_metadata(version: int = SCHEMA_VERSION) -> MetaData:
    """Every table of the state store as it stands at `version`.

    Args:
        version: a schema version from 1 to SCHEMA_VERSION.

    Returns:
        Fresh metadata; callers may create or reflect against it.
    """
    if not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(f"no schema version {version}")
    md = MetaData()
    _meta(md)
    _entities(md, version)
    _runs(md, version)
    _tasks(md, version)
    return md


metadata = build_metadata()
meta = metadata.tables["meta"]
entities = metadata.tables["entities"]
links = metadata.tables["links"]
bases = metadata.tables["bases"]
cursors = metadata.tables["cursors"]
runs = metadata.tables["runs"]
journal = metadata.tables["journal"]
artifacts = metadata.tables["artifacts"]
task_keys = metadata.tables["task_keys"]
intents = metadata.tables["intents"]
tombstones = metadata.tables["tombstones"]
reviews = metadata.tables["reviews"]
leases = metadata.tables["leases"]
entity_aliases = metadata.tables["entity_aliases"]
