"""What the rules run would write for one record: changed fields, new tasks, review items. Pure.

Only fields whose value differs from what was read are planned, so a rerun with
nothing changed plans nothing. Stage values are each CRM's own (from the rules
file); HubSpot's `lifecyclestage` is never planned backward. Task owners are
resolved to CRM ids here; a task whose owner cannot be found goes to review.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from integrations.base import TaskSpec
from rules.compiler import Compiled
from rules.decisions import LeadDecision, OpportunityDecision, TaskDecision
from rules.explain import breakdown_text
from sync.rules_source import Item
from sync.rules_systems import LIFECYCLE_ORDER, OwnerDirectory, SystemSpec
from sync.store_reviews import NewReview

Decision = LeadDecision | OpportunityDecision


@dataclass(frozen=True)
class FieldChange:
    """One native field of one record: the value read and the value to write."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class PlannedTask:
    """A task to make under its key, with what the store records about it."""

    spec: TaskSpec
    rule: str
    outreach: bool
    stable_id: str
    record_id: str


@dataclass
class RecordPlan:
    """Everything the run would do to one record."""

    item: Item
    decision: Decision | None
    changes: list[FieldChange] = field(default_factory=list)
    tasks: list[PlannedTask] = field(default_factory=list)
    reviews: list[NewReview] = field(default_factory=list)
    defer_outreach: bool = False
    stage_moved: bool = False


def same_value(before: Any, after: Any) -> bool:
    """Whether a value read equals a value to write (numbers by value, text trimmed)."""
    if before in (None, "") or after in (None, ""):
        return before in (None, "") and after in (None, "")
    if isinstance(after, bool) or isinstance(before, bool):
        return str(before).lower() == str(after).lower()
    try:
        return float(before) == float(after)
    except (TypeError, ValueError):
        return str(before).strip() == str(after).strip()


def _changed(native: dict[str, Any], wanted: dict[str, Any]) -> list[FieldChange]:
    return [
        FieldChange(name, native.get(name), value)
        for name, value in wanted.items()
        if not same_value(native.get(name), value)
    ]


def _lifecycle_forward(before: Any, after: Any) -> bool:
    order = {name: i for i, name in enumerate(LIFECYCLE_ORDER)}
    return order.get(str(after), -1) > order.get(str(before or ""), -1)


def item_value(plan: RecordPlan, name: str) -> Any:
    """The value read for a native field of the plan's record."""
    return plan.item.native.get(name)


def stage_fields(
    spec: SystemSpec, compiled: Compiled, plan: RecordPlan, kind: str, stage_ids: dict[str, str]
) -> dict[str, Any]:
    """Native stage values for a forward move decided by the rules (nothing otherwise)."""
    decision = plan.decision
    if decision is None or decision.stage_unmapped or not decision.stage.moved:
        return {}
    values = dict(compiled.stage_values(spec.system, kind, decision.stage.to or ""))
    if "dealstage_label" in values:
        label = values.pop("dealstage_label")
        if label not in stage_ids:
            return {}
        values["dealstage"] = stage_ids[label]
    life = spec.lifecycle
    if life and life in values and not _lifecycle_forward(item_value(plan, life), values[life]):
        del values[life]
    if all(same_value(item_value(plan, k), v) for k, v in values.items()):
        return {}  # the CRM already holds these values (or refuses them): nothing moves
    plan.stage_moved = True
    if kind == "lead":
        values[spec.stage_changed] = spec.moment(decision.stage_changed_at)
    return values


def _owner_id(task: TaskDecision, owners: OwnerDirectory, escalation: str) -> str | None:
    """The CRM id a task goes to: the user named, else (inactive manager) the escalation owner."""
    if task.assignee_kind == "email":
        return owners.by_email(task.assignee)
    if owners.usable(task.assignee):
        return task.assignee
    return owners.by_email(escalation)


def plan_tasks(plan: RecordPlan, owners: OwnerDirectory, compiled: Compiled) -> None:
    """TaskSpecs for the decision's tasks, owned by CRM ids (unresolvable owners to review)."""
    assert plan.decision is not None
    item = plan.item
    for task in plan.decision.tasks:
        owner_id = _owner_id(task, owners, compiled.escalation_owner)
        if owner_id is None:
            detail = {"task": task.key, "assignee": task.assignee, "reason": "no active owner"}
            plan.reviews.append(
                NewReview("unmatched_owner", item.system, item.object, item.record_id, detail)
            )
            continue
        lead = item.kind == "lead"
        spec = TaskSpec(
            key=task.key,
            subject=task.subject,
            due=task.due,
            priority=task.priority,  # type: ignore[arg-type]
            owner_id=owner_id,
            who_id=item.record_id if lead else None,
            what_id=None if lead else item.record_id,
            description=f"crmops rule {task.rule} (key {task.key})",
        )
        plan.tasks.append(
            PlannedTask(spec, task.rule, task.outreach, item.stable_id, item.record_id)
        )


def _reviews(plan: RecordPlan) -> None:
    item, decision = plan.item, plan.decision
    assert decision is not None
    detail: dict[str, Any]
    if decision.stage_unmapped:
        detail = {"status": decision.stage.from_, "reason": "status maps to no SOP stage"}
        plan.reviews.append(
            NewReview("unmapped_status", item.system, item.object, item.record_id, detail)
        )
    if decision.missed:
        detail = {
            "tasks": [{"key": m.key, "due": m.due.isoformat()} for m in decision.missed],
            "reason": "past the maximum lateness: not made",
        }
        plan.reviews.append(
            NewReview("missed_task", item.system, item.object, item.record_id, detail)
        )


def plan_record(
    spec: SystemSpec,
    compiled: Compiled,
    item: Item,
    decision: Decision | None,
    owners: OwnerDirectory,
    stage_ids: dict[str, str],
) -> RecordPlan:
    """The writes, tasks and review items for one evaluated record."""
    plan = RecordPlan(item, decision)
    if decision is None:
        reason = "; ".join(item.problems) or "cannot be evaluated"
        plan.reviews.append(
            NewReview("rejected", item.system, item.object, item.record_id, {"reason": reason})
        )
        return plan
    _reviews(plan)
    if item.read_only:
        return plan
    wanted: dict[str, Any] = {}
    if isinstance(decision, LeadDecision):
        wanted = {
            spec.score: spec.number(decision.score),
            spec.temperature: decision.temperature,
            spec.breakdown: breakdown_text(decision),
        }
        if spec.rating:
            wanted[spec.rating] = decision.salesforce_rating
        if decision.routing is not None:
            owner = owners.by_email(decision.routing.owner_email)
            if owner is None:
                detail = {"routed_to": decision.routing.owner_email, "reason": "no active owner"}
                plan.reviews.append(
                    NewReview("unmatched_owner", item.system, item.object, item.record_id, detail)
                )
            else:
                wanted[spec.owner] = owner
        plan.defer_outreach = decision.defer_outreach
    wanted.update(stage_fields(spec, compiled, plan, item.kind, stage_ids))
    plan.changes = _changed(item.native, wanted)
    plan_tasks(plan, owners, compiled)
    return plan
