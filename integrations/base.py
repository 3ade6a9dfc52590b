"""The one protocol every CRM connector implements, and the plain data it speaks.

Everything above `integrations/` (rules run, sync, CLI) talks to a CRM only through
`Connector`; nothing there imports an SDK. Records are native: field names and
values as the CRM gives them, so the mapping layer owns every conversion.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

System = Literal["salesforce", "hubspot"]


@dataclass(frozen=True, order=True)
class Cursor:
    """Where an incremental read stopped: the last modified time seen, ties broken by id."""

    modified: datetime
    record_id: str = ""


@dataclass
class Record:
    """One native record: `fields` holds the CRM's own field names and JSON values."""

    object: str
    id: str
    modified: datetime
    fields: dict[str, Any]
    archived: bool = False


@dataclass(frozen=True)
class Deletion:
    """A record that left the CRM: deleted or archived, or merged into `merged_into`."""

    object: str
    id: str
    when: datetime | None = None
    merged_into: str | None = None


@dataclass(frozen=True)
class WriteRow:
    """One record to write: `id` for updates, `key` (a crmops key) for idempotent creates."""

    fields: dict[str, Any]
    id: str | None = None
    key: str | None = None


@dataclass(frozen=True)
class WriteResult:
    """What the CRM said about one input, in input order; never an exception."""

    ok: bool
    id: str | None = None
    created: bool = False
    error_code: str | None = None
    message: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaskSpec:
    """A follow-up task in CRM-neutral terms; the connector writes it as a native Task."""

    key: str
    subject: str
    due: datetime
    priority: Literal["High", "Normal", "Low"]
    owner_id: str | None
    who_id: str | None = None
    what_id: str | None = None
    description: str = ""
    status: Literal["open", "completed", "deferred"] = "open"


@dataclass(frozen=True)
class FieldInfo:
    """One field as describe/properties reports it."""

    name: str
    type: str
    label: str = ""
    updateable: bool = True
    custom: bool = False
    nillable: bool = True
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    unique: bool = False
    external_id: bool = False


@dataclass(frozen=True)
class FieldSpec:
    """A custom field/property crmops needs to exist before it writes."""

    object: str
    name: str
    type: Literal["text", "number", "longtext", "picklist", "id"]
    label: str
    unique: bool = False
    picklist: tuple[str, ...] = ()


@dataclass
class ApiUsage:
    """Calls made by this client, per endpoint, and what the CRM says is left."""

    calls: Counter[str] = field(default_factory=Counter)
    limit: int | None = None
    remaining: int | None = None

    @property
    def total(self) -> int:
        """All calls made so far."""
        return sum(self.calls.values())


@runtime_checkable
class Connector(Protocol):
    """Read, write and describe one CRM. Cursors are passed in and saved by the caller."""

    system: System

    def identity(self) -> str:
        """The org id (Salesforce) or portal id (HubSpot) this client is talking to."""
        ...

    def changed_since(
        self, object: str, cursor: Cursor | None, fields: Sequence[str]
    ) -> Iterator[Record]:
        """Records changed since the cursor, oldest first by (modified, id), lazily.

        What "since" means is each connector's `overlap`, chosen per CRM on purpose:

        - overlap > 0 (Salesforce, 60 s by default): every record modified at or after
          `cursor.modified - overlap` is read again, the cursor's own record and its
          id ties included. A long transaction can commit a record whose
          SystemModstamp is older than a cursor a run already saw past, so the window
          behind the cursor is re-read; callers diff against their bases, so a
          re-read record changes nothing.
        - overlap == 0 (HubSpot's default): only records after the cursor, compared
          as (modified, id): records at the cursor's time with an id at or below its
          id, and everything older, are dropped. HubSpot's late-commit guard is the
          end of the window instead: a read stops at now minus the search index lag,
          so a record not yet searchable is read by the next run, not lost.

        A cursor of None reads from the beginning.
        """
        ...

    def read_all(self, object: str, fields: Sequence[str]) -> Iterator[Record]:
        """Every live record of an object, lazily, through the list endpoints."""
        ...

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """The records with these ids (missing ones are left out), in full batches."""
        ...

    def deletions(self, object: str, since: datetime | None) -> Iterator[Deletion]:
        """Deleted, archived and merged records (the delete sweep)."""
        ...

    def create(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create records; rows with a `key` are created idempotently on the wire."""
        ...

    def update(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update records by `id` in full batches."""
        ...

    def upsert(self, object: str, key_field: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create or update by a unique/external-id field."""
        ...

    def write_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """Create or update tasks by their key (idempotent), with their associations."""
        ...

    def describe(self, object: str) -> dict[str, FieldInfo]:
        """Fields (properties) of an object, by name."""
        ...

    def provision(self, specs: Sequence[FieldSpec], dry_run: bool) -> list[str]:
        """Create the missing custom fields; returns what was (or would be) done."""
        ...

    def usage(self) -> ApiUsage:
        """Calls made so far and the CRM's own view of the budget left."""
        ...
