"""Plain data the state store takes and returns, and its errors; no SQLAlchemy types leak out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

EntityKind = Literal["person", "company", "deal", "owner"]
ENTITY_KINDS: frozenset[str] = frozenset({"person", "company", "deal", "owner"})

JournalState = Literal["planned", "written", "failed", "undone", "skipped"]
JOURNAL_STATES: frozenset[str] = frozenset({"planned", "written", "failed", "undone", "skipped"})

TaskStatus = Literal["intent", "created", "deferred", "closed"]
TASK_STATUSES: frozenset[str] = frozenset({"intent", "created", "deferred", "closed"})

REVIEW_KINDS: frozenset[str] = frozenset(
    {
        "duplicate",
        "fuzzy",
        "conflict",
        "rejected",
        "unmapped_status",
        "missed_task",
        "unmatched_owner",
        "deleted",
        "merged",
    }
)


class StoreError(RuntimeError):
    """Base class of the state store's own errors."""


class StoreBoundElsewhere(StoreError):
    """The store belongs to another Salesforce org or HubSpot portal than the one connected."""

    def __init__(self, what: str, bound: str, given: str) -> None:
        super().__init__(
            f"this state store belongs to {what} {bound}, but crmops is connected to "
            f"{what} {given}; stopping so ids of two {what}s are never mixed "
            "(point CRMOPS_STATE_URL at that org's own store, or start a new one)"
        )
        self.what = what
        self.bound = bound
        self.given = given


class LinkConflict(StoreError):
    """A link would tie a record to a second stable id, or a stable id to a second record."""


@dataclass(frozen=True)
class Link:
    """A stable id tied to one native record."""

    stable_id: str
    system: str
    object: str
    record_id: str


@dataclass(frozen=True)
class BaseValue:
    """The last-synced canonical value of one field of one entity."""

    stable_id: str
    field: str
    value: Any
    synced: datetime | None = None


@dataclass(frozen=True)
class Run:
    """One crmops run as recorded: calls are per system, then per endpoint."""

    id: int
    kind: str
    started: datetime
    status: str
    finished: datetime | None = None
    exit_code: int | None = None
    calls: dict[str, dict[str, int]] = field(default_factory=dict)
    summary: dict[str, Any] | None = None


@dataclass(frozen=True)
class PlannedWrite:
    """A field write about to be made; journaled with its before-value first.

    `record_id` is None for a create whose id the CRM has not given yet.
    """

    system: str
    object: str
    record_id: str | None
    field: str
    before: Any
    after: Any
    stable_id: str | None = None


@dataclass(frozen=True)
class JournalEntry:
    """A journaled field write and what became of it."""

    id: int
    run_id: int
    seq: int
    system: str
    object: str
    record_id: str | None
    field: str
    before: Any
    after: Any
    state: str
    stable_id: str | None = None
    error: str | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class TaskIntent:
    """A follow-up task crmops is about to create, under its deterministic key."""

    key: str
    system: str
    rule: str
    stable_id: str | None = None
    record_id: str | None = None
    outreach: bool = False


@dataclass(frozen=True)
class TaskKey:
    """What the store knows about a task key: its task id once created, and its status."""

    key: str
    system: str
    rule: str
    status: str
    outreach: bool
    stable_id: str | None = None
    record_id: str | None = None
    task_id: str | None = None
    run_id: int | None = None


@dataclass(frozen=True)
class CreateIntent:
    """A create recorded before it is sent; `record_id` is set once the CRM answered."""

    system: str
    object: str
    key: str
    created: datetime
    run_id: int | None = None
    record_id: str | None = None
    resolved: datetime | None = None


@dataclass(frozen=True)
class Tombstone:
    """A record erased without trace; never recreated from the other system."""

    system: str
    object: str
    record_id: str
    reason: str
    created: datetime
    stable_id: str | None = None


@dataclass(frozen=True)
class ReviewItem:
    """Something a person must decide: a duplicate, a conflict, a rejected write..."""

    id: int
    kind: str
    system: str
    object: str
    record_id: str
    detail: Any
    created: datetime
    run_id: int | None = None
    resolved: datetime | None = None
    resolution: str | None = None


@dataclass(frozen=True)
class Artifact:
    """A saved plan or report file, indexed so retention can find and delete it."""

    id: int
    kind: str
    path: str
    created: datetime
    run_id: int | None = None
