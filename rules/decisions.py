"""Plain, immutable decisions the engine returns; the run layer turns them into CRM writes.

Named tuples rather than frozen dataclasses: they are built per record on the hot path.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple


class ScoreEntry(NamedTuple):
    """One line of a breakdown: a criterion that fired, or a category cap (negative points)."""

    criterion: str
    points: int


class StageMove(NamedTuple):
    """The stage before and after this run; `to == from_` when nothing moves."""

    from_: str | None
    to: str | None
    reason: str | None = None

    @property
    def moved(self) -> bool:
        """Whether this run moves the record."""
        return self.to != self.from_


class Routing(NamedTuple):
    """The owner chosen for a record without a usable owner (an email from the rules file)."""

    rule: str
    team: str
    owner_email: str


class TaskDecision(NamedTuple):
    """A task to make (if its key is not made yet).

    `assignee` is a CRM user id when `assignee_kind` is "user_id" (the record's
    owner or manager), else an email from the rules file ("email") that the run
    layer resolves to a user.
    """

    rule: str
    key: str
    step: str
    subject: str
    due: datetime
    priority: str
    assignee: str | None
    assignee_kind: str
    outreach: bool


class MissedTask(NamedTuple):
    """A scheduled task whose due time is past the maximum lateness: reported, not made."""

    rule: str
    key: str
    due: datetime


class LeadDecision(NamedTuple):
    """Everything the rules decided for one lead at one `now`."""

    record_id: str
    score: int
    breakdown: tuple[ScoreEntry, ...]
    temperature: str
    salesforce_rating: str
    stage: StageMove
    stage_unmapped: bool
    stage_changed_at: datetime | None
    routing: Routing | None
    tasks: tuple[TaskDecision, ...]
    missed: tuple[MissedTask, ...] = ()
    defer_outreach: bool = False
    deferral_note: str | None = None
    now: datetime | None = None


class OpportunityDecision(NamedTuple):
    """Everything the rules decided for one opportunity at one `now`."""

    record_id: str
    stage: StageMove
    stage_unmapped: bool
    stage_changed_at: datetime | None
    tasks: tuple[TaskDecision, ...]
    missed: tuple[MissedTask, ...] = ()
