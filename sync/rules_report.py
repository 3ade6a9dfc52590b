"""A rules run's result: the summary recorded with the run, the plan rows and the review list."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
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


def summarise(results: SystemResults, dry_run: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run's summary (as recorded with the run) and its review items."""
    temperature: Counter[str] = Counter()
    moves: Counter[str] = Counter()
    tasks: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    reviews: list[NewReview] = []
    for collected, planned, outcome in results.values():
        for c in collected:
            for plan in c.plans:
                counts[c.kind + "s"] += 1
                counts["read_only"] += plan.item.read_only
                counts["records_changed" if plan.changes else "records_unchanged"] += 1
                counts["fields_planned"] += len(plan.changes)
                reviews += plan.reviews
                decision = plan.decision
                if isinstance(decision, LeadDecision):
                    temperature[decision.temperature] += 1
                if decision is not None and plan.stage_moved:
                    moves[f"{decision.stage.from_} -> {decision.stage.to}"] += 1
        made = planned if dry_run else outcome.tasks_created
        tasks.update(t.rule for t in made)
        counts["fields_written"] += outcome.fields_written
        counts["tasks_deferred"] += len(outcome.deferred)
        reviews += outcome.rejected
    rejected = sum(1 for r in reviews if r.kind == "rejected")
    summary = {
        "leads": counts["leads"],
        "opportunities": counts["opportunitys"],
        "temperature": dict(sorted(temperature.items())),
        "stage_moves": dict(sorted(moves.items())),
        "tasks": dict(sorted(tasks.items())),
        "tasks_total": sum(tasks.values()),
        "records_changed": counts["records_changed"],
        "fields_planned": counts["fields_planned"],
        "fields_written": counts["fields_written"],
        "tasks_deferred": counts["tasks_deferred"],
        "read_only": counts["read_only"],
        "reviews": dict(sorted(Counter(r.kind for r in reviews).items())),
        "rejected": rejected,
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
