"""The plan: every write a sync would make, as data that can be printed, saved and applied later.

Public API: `Plan` (`to_json` / `from_json`, `lines`, `table`, `summary`, `expired`),
`new_plan(now, ttl)`, `updates_from_diff(diff, salesforce, hubspot, stable_id)` with
`RecordRef`, items `Create`, `Update`, `Link`, `Association`, `TaskWrite`,
plus `FieldChange` (sync.diff), `LinkMove` and `ReviewItem` (sync.identity).
`PLAN_FORMAT` is the JSON format version; `from_json` refuses any other.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from rich.table import Table

from integrations.base import TaskSpec
from sync.candidates import LinkMove, ReviewItem
from sync.diff import FieldChange, PairDiff
from sync.plancodec import decode_items, decode_value, encode_value, parse_moment

PLAN_FORMAT = 1
DEFAULT_TTL = timedelta(hours=1)


class PlanFormatError(ValueError):
    """A saved plan this version cannot read."""


@dataclass(frozen=True)
class Create:
    """A record to create on `system`; `key` makes the create idempotent (upsert / intent)."""

    system: str
    object: str
    key: str
    fields: dict[str, Any]
    stable_id: str | None = None
    source_id: str | None = None


@dataclass(frozen=True)
class Update:
    """Field changes to one record; `version` is its SystemModstamp / modified time when planned."""

    system: str
    object: str
    record_id: str
    version: datetime | None
    changes: tuple[FieldChange, ...]
    stable_id: str | None = None


@dataclass(frozen=True)
class Link:
    """A link to record between a Salesforce and a HubSpot record."""

    salesforce_object: str
    salesforce_id: str
    hubspot_object: str
    hubspot_id: str
    how: str
    stable_id: str | None = None


@dataclass(frozen=True)
class Association:
    """An association to set (HubSpot) or a lookup field to fill (Salesforce).

    An end created by the same plan has no id yet (""): `from_source` / `to_source`
    name the other system's record it is created from, resolved through its link.
    """

    system: str
    from_object: str
    from_id: str
    to_object: str
    to_id: str
    from_source: str = ""
    to_source: str = ""


@dataclass(frozen=True)
class TaskWrite:
    """A task to create or update in `system`, keyed by its deterministic task key."""

    system: str
    task: TaskSpec
    stable_id: str | None = None
    rule: str = ""


@dataclass
class Plan:
    """What one sync (or reconcile repair) would do, made for an explicit `now`."""

    now: datetime
    created_at: datetime
    expires_at: datetime
    kind: str = "sync"
    creates: list[Create] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    moves: list[LinkMove] = field(default_factory=list)
    associations: list[Association] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    tasks: list[TaskWrite] = field(default_factory=list)
    # What the run stores once the plan is applied (agreed bases, cursors reached,
    # record versions), JSON-ready: a saved plan applied later finishes like a sync.
    finish: dict[str, Any] = field(default_factory=dict)

    def expired(self, at: datetime) -> bool:
        """Whether the plan may no longer be applied at `at`."""
        return at >= self.expires_at

    def summary(self) -> dict[str, int]:
        """Counts per item kind, updates and field changes per target system, review per kind."""
        counts: Counter[str] = Counter()
        for name in ("creates", "updates", "links", "moves", "associations", "review", "tasks"):
            counts[name] = len(getattr(self, name))
        for item in self.creates:
            counts[f"creates.{item.system}"] += 1
        for update in self.updates:
            counts[f"updates.{update.system}"] += 1
            counts[f"field_changes.{update.system}"] += len(update.changes)
            counts["conflicts"] += sum(1 for c in update.changes if c.conflict)
        for review in self.review:
            counts[f"review.{review.kind}"] += 1
        return dict(counts)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(record, field, old -> new, policy) rows for every planned field change and create."""
        rows = []
        for u in self.updates:
            record = f"{u.system} {u.object} {u.record_id}"
            for c in u.changes:
                rows.append((record, c.field, f"{_show(c.old)} -> {_show(c.new)}", f"({c.policy})"))
        for cr in self.creates:
            rows.append(
                (
                    f"{cr.system} {cr.object} (new {cr.key})",
                    "*",
                    f"{len(cr.fields)} fields",
                    "(create)",
                )
            )
        return rows

    def lines(self) -> list[str]:
        """The plan as plain text lines: `record  field  old -> new  (policy)`, then the rest."""
        out = ["  ".join(r) for r in self.rows()]
        out += [
            f"link {x.salesforce_object} {x.salesforce_id} <-> "
            f"{x.hubspot_object} {x.hubspot_id} ({x.how})"
            for x in self.links
        ]
        out += [f"move {m.system} {m.from_id} -> {m.to_id} ({m.reason})" for m in self.moves]
        out += [
            f"associate {a.system} {a.from_object} {a.from_id or 'new from ' + a.from_source} -> "
            f"{a.to_object} {a.to_id or 'new from ' + a.to_source}"
            for a in self.associations
        ]
        out += [f"review {r.kind}: {r.reason}" for r in self.review]
        out += [f"task {t.system} {t.task.key}: {t.task.subject}" for t in self.tasks]
        return out

    def table(self) -> Table:
        """The field changes as a rich table for the terminal."""
        table = Table(title=f"crmops {self.kind} plan for {self.now.isoformat()}")
        for column in ("record", "field", "old -> new", "policy"):
            table.add_column(column)
        for row in self.rows():
            table.add_row(*row)
        return table

    def to_json(self) -> str:
        """The plan as versioned JSON (datetimes and dates tagged so they round-trip)."""
        body = {
            "format": PLAN_FORMAT,
            "kind": self.kind,
            "now": self.now.isoformat(),
            "created_at": self.created_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }
        for name in ("creates", "updates", "links", "moves", "associations", "review", "tasks"):
            body[name] = [encode_value(item) for item in getattr(self, name)]
        if self.finish:
            body["finish"] = encode_value(self.finish)
        return json.dumps(body, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Read a plan saved by `to_json`.

        Raises:
            PlanFormatError: not a plan, or a format version this crmops does not read.
        """
        try:
            body = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PlanFormatError(f"not a plan file: {exc}") from exc
        if not isinstance(body, dict) or body.get("format") != PLAN_FORMAT:
            found = body.get("format") if isinstance(body, dict) else None
            raise PlanFormatError(
                f"plan format {found!r} is not supported (expected {PLAN_FORMAT})"
            )
        try:
            plan = cls(
                parse_moment(body["now"]),
                parse_moment(body["created_at"]),
                parse_moment(body["expires_at"]),
                body.get("kind", "sync"),
            )
            for name, values in decode_items(body).items():
                setattr(plan, name, values)
            plan.finish = decode_value(body.get("finish") or {})
        except (KeyError, TypeError, ValueError) as exc:
            raise PlanFormatError(f"plan file is damaged: {exc!r}") from exc
        return plan


@dataclass(frozen=True)
class RecordRef:
    """One side's record of a linked pair, with the version it had when read."""

    object: str
    id: str
    version: datetime | None = None


def updates_from_diff(
    diff: PairDiff, salesforce: RecordRef, hubspot: RecordRef, stable_id: str | None = None
) -> list[Update]:
    """The update items of a pair's diff: one per side that has changes."""
    updates = []
    for system, ref in (("salesforce", salesforce), ("hubspot", hubspot)):
        changes = tuple(c for c in diff.changes if c.target_system == system)
        if changes:
            updates.append(Update(system, ref.object, ref.id, ref.version, changes, stable_id))
    return updates


def new_plan(now: datetime, ttl: timedelta = DEFAULT_TTL, kind: str = "sync") -> Plan:
    """An empty plan made at `now` that expires `ttl` later."""
    if now.tzinfo is None:
        raise ValueError("a plan's now must be time-zone aware")
    return Plan(now=now, created_at=now, expires_at=now + ttl, kind=kind)


def _show(value: Any) -> str:
    if value is None:
        return "(blank)"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return repr(value) if isinstance(value, str) else str(value)
