"""A rules run's result: the summary recorded with the run, the plan rows and the review list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.decisions import LeadDecision
from sync.rules_pass import Collected
from sync.rules_plan import PlannedTask
from sync.rules_write import WriteOutcome
from sync.store_reviews import NewReview

SystemResults = Mapping[str, tuple[list[Collected], list[PlannedTask], WriteOutcome]]


@dataclass
class RulesRunResult:
    """What a rules run did (or, dry, would do).

    Attributes:
        run_id: the state store's run id (None for a dry run, which records nothing).
        exit_code: 0 ok, 1 some records were refused or could not be evaluated.
        summary: leads per temperature band, stage moves, tasks by rule, counts (JSON-able).
        changes: one row per field change: system, object, record_id, field, before, after.
        tasks: one row per task made (or planned): system, rule, key, subject, due, owner_id.
        reviews: review items of this run: kind, system, object, record_id, detail.
        calls: API calls per system and endpoint.
    """

    run_id: int | None
    dry_run: bool
    exit_code: int
    summary: dict[str, Any]
    changes: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    calls: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """Everything as one JSON-able object."""
        return {
            "run_id": self.run_id,
            "dry_run": self.dry_run,
            "exit_code": self.exit_code,
            "summary": self.summary,
            "changes": self.changes,
            "tasks": self.tasks,
            "reviews": self.reviews,
            "calls": {s: sum(c.values()) for s, c in self.calls.items()},
        }


def _review_row(review: NewReview) -> dict[str, Any]:
    return {
        "kind": review.kind,
        "system": review.system,
        "object": review.object,
        "record_id": review.record_id,
        "detail": review.detail,
    }


@dataclass
class _Tally:
    """What one CRM's part of a run decided: bands, stage moves and tasks by rule."""

    temperature: Counter[str] = field(default_factory=Counter)
    moves: Counter[str] = field(default_factory=Counter)
    tasks: Counter[str] = field(default_factory=Counter)

    def as_json(self, bands: Sequence[str]) -> dict[str, Any]:
        """Every band in the rules file's order (zeros too), then moves and tasks by name."""
        temperature = {b: self.temperature[b] for b in bands}
        temperature.update(sorted((b, n) for b, n in self.temperature.items() if b not in bands))
        return {
            "temperature": temperature,
            "stage_moves": dict(sorted(self.moves.items())),
            "tasks": dict(sorted(self.tasks.items())),
        }


def _tally(collected: list[Collected], made: list[PlannedTask], counts: Counter[str]) -> _Tally:
    tally = _Tally()
    for c in collected:
        for plan in c.plans:
            counts[c.kind + "s"] += 1
            counts["read_only"] += plan.item.read_only
            counts["records_changed" if plan.changes else "records_unchanged"] += 1
            counts["fields_planned"] += len(plan.changes)
            decision = plan.decision
            if isinstance(decision, LeadDecision):
                tally.temperature[decision.temperature] += 1
            if decision is not None and plan.stage_moved:
                tally.moves[f"{decision.stage.from_} -> {decision.stage.to}"] += 1
    tally.tasks.update(t.rule for t in made)
    return tally


def summarise(
    results: SystemResults, dry_run: bool, bands: Sequence[str] = ()
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run's summary (as recorded with the run) and its review items.

    `temperature`, `stage_moves` and `tasks` (tasks created, or planned in a dry run, by
    rule) cover every CRM of the run; `by_system` has them per CRM. `bands` are the band
    names in the rules file's order: each is listed, with 0 when no lead is in it.
    """
    counts: Counter[str] = Counter()
    total = _Tally()
    by_system: dict[str, dict[str, Any]] = {}
    reviews: list[NewReview] = []
    for system, (collected, planned, outcome) in results.items():
        tally = _tally(collected, planned if dry_run else outcome.tasks_created, counts)
        by_system[system] = tally.as_json(bands)
        for mine, theirs in zip(
            (total.temperature, total.moves, total.tasks),
            (tally.temperature, tally.moves, tally.tasks),
            strict=True,
        ):
            mine.update(theirs)
        reviews += [r for c in collected for p in c.plans for r in p.reviews] + outcome.rejected
        counts["fields_written"] += outcome.fields_written
        counts["tasks_deferred"] += len(outcome.deferred)
    rejected = sum(1 for r in reviews if r.kind == "rejected")
    summary = {
        "leads": counts["leads"],
        "opportunities": counts["opportunitys"],
        **total.as_json(bands),
        "tasks_total": sum(total.tasks.values()),
        "records_changed": counts["records_changed"],
        "fields_planned": counts["fields_planned"],
        "fields_written": counts["fields_written"],
        "tasks_deferred": counts["tasks_deferred"],
        "read_only": counts["read_only"],
        "reviews": dict(sorted(Counter(r.kind for r in reviews).items())),
        "rejected": rejected,
        "by_system": by_system,
    }
    return summary, [_review_row(r) for r in reviews]


def plan_rows(results: SystemResults) -> list[dict[str, Any]]:
    """Every planned field change, as rows."""
    return [
        {
            "system": p.item.system,
            "object": p.item.object,
            "record_id": p.item.record_id,
            "field": change.field,
            "before": change.before,
            "after": change.after,
        }
        for collected, _, _ in results.values()
        for c in collected
        for p in c.plans
        for change in p.changes
    ]


def task_rows(results: SystemResults) -> list[dict[str, Any]]:
    """Every task made (or, dry, to be made), as rows."""
    return [
        {
            "system": system,
            "rule": t.rule,
            "key": t.spec.key,
            "subject": t.spec.subject,
            "due": t.spec.due.isoformat(),
            "priority": t.spec.priority,
            "owner_id": t.spec.owner_id,
            "record_id": t.record_id,
        }
        for system, (_, planned, _) in results.items()
        for t in planned
    ]
