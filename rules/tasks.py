"""Compile task rules into closures; decide one rule's task (or its miss) for a record.

Scheduled tasks are made once due at or before now + horizon and not more than
max_lateness before now (older ones are missed); a cadence (`steps`) or a
repeat makes only its latest step that is due. Triggered tasks are made whenever
their condition holds. Keys are `rule:record:step`; the step comes from the
rule's `step` template (placeholders: {anchor} {due} {quarter} {stage} {step} {k}).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from rules.conditions import Context, Test, accessor, compile_all, normalise
from rules.decisions import MissedTask, TaskDecision
from rules.schema import Condition, TaskRule
from rules.timing import BusinessCalendar, Duration, parse_duration

STEP_PLACEHOLDERS = frozenset({"anchor", "due", "quarter", "stage", "step", "k"})
NOW_STEP_FIELDS = frozenset({"anchor", "due", "quarter"})  # same for every record at one now
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
Getter = Callable[[Any, Context], Any]


def placeholders(template: str) -> set[str]:
    """The placeholder names used in a step template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def references_field(conditions: list[Condition] | None, name: str) -> bool:
    """Whether any condition (nested included) reads field `name`."""
    for cond in conditions or ():
        if cond.field == name or cond.after_field == name:
            return True
        if references_field(cond.any, name) or references_field(cond.all, name):
            return True
    return False


def _is_stage_filter(cond: Condition) -> bool:
    return cond.field == "stage" and (cond.in_ is not None or cond.not_in is not None)


def allowed_stages(conditions: list[Condition], stage_names: frozenset[str]) -> frozenset[str]:
    """The stages that the top-level `stage` conditions of a rule admit (all when none).

    Compared as conditions compare (both sides normalised), so `in: [appointment_set]`
    admits the stage `appointment_set`.
    """
    allowed = {normalise(s) for s in stage_names}
    for cond in conditions:
        if cond.field == "stage" and cond.in_ is not None:
            allowed &= {normalise(v) for v in cond.in_}
        elif cond.field == "stage" and cond.not_in is not None:
            allowed -= {normalise(v) for v in cond.not_in}
    return frozenset(s for s in stage_names if normalise(s) in allowed)


@lru_cache(maxsize=4096)
def event_text(moment: datetime) -> str:
    """A moment as it appears in a task key: UTC to the minute, e.g. 2026-11-04T15:00Z."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat()[:16] + "Z"


@dataclass(frozen=True, slots=True)
class DueChoice:
    """One SLA: applies when `test` holds; due = anchor (None: now) + offset on `clock`."""

    test: Test
    anchor: Getter | None
    offset: Duration
    clock: str


@dataclass(frozen=True, slots=True)
class CompiledTask:
    """A task rule ready to run; built once by `compile_task`."""

    name: str
    scheduled: bool
    stage_based: bool
    stages: frozenset[str]  # stages at which the rule can apply
    outreach: bool
    test: Test
    subject: str
    due: tuple[DueChoice, ...]
    steps: tuple[tuple[str, str, Duration], ...]
    every: Duration | None
    priorities: tuple[tuple[Test, str], ...]
    assign_to: str
    step: str
    step_fields: frozenset[str]  # the placeholders `step` uses
    due_always: bool  # a single SLA without a condition
    at_now: bool  # due at now + offset, step not from the record: fixed for one `now`
    fixed_priority: str | None  # a single priority without a condition


def compile_task(
    rule: TaskRule, fields: frozenset[str], stage_names: frozenset[str]
) -> CompiledTask:
    """Compile a validated task rule; `stage_names` are the object's canonical stages."""
    dues = rule.due if isinstance(rule.due, list) else [rule.due]
    priorities = (
        ((compile_all(None, fields), rule.priority),)
        if isinstance(rule.priority, str)
        else tuple((compile_all(p.when, fields), p.value) for p in rule.priority)
    )
    stage_based = references_field(rule.when, "stage")
    # The task index offers a stage-based rule only at the stages its top-level stage
    # filters admit, so those filters need not run again per record.
    rest = [c for c in rule.when if not _is_stage_filter(c)] if stage_based else rule.when
    step_fields = frozenset(placeholders(rule.step))
    at_now = (
        len(dues) == 1
        and not dues[0].when
        and dues[0].anchor == "now"
        and not rule.steps
        and rule.repeat is None
        and step_fields <= NOW_STEP_FIELDS
    )
    return CompiledTask(
        name=rule.name,
        scheduled=rule.kind == "scheduled",
        stage_based=stage_based,
        stages=allowed_stages(rule.when, stage_names),
        outreach=rule.outreach,
        test=compile_all(rest, fields),
        subject=rule.subject,
        due=tuple(
            DueChoice(
                compile_all(d.when, fields),
                None if d.anchor == "now" else accessor(d.anchor, fields),
                parse_duration(d.offset),
                d.clock,
            )
            for d in dues
        ),
        steps=tuple((s.step, s.subject, parse_duration(s.offset)) for s in rule.steps or ()),
        every=parse_duration(rule.repeat.every) if rule.repeat else None,
        priorities=priorities,
        assign_to=rule.assign_to,
        step=rule.step,
        step_fields=step_fields,
        due_always=len(dues) == 1 and not dues[0].when,
        at_now=at_now,
        fixed_priority=rule.priority if isinstance(rule.priority, str) else None,
    )


def _latest_repeat(
    base: datetime, every: Duration, limit: datetime, calendar: BusinessCalendar
) -> tuple[int, datetime] | None:
    """The largest k >= 1 with base + k*every at or before `limit`, and that due time."""

    def due(k: int) -> datetime:
        return calendar.shift(base, Duration(every.amount * k, every.unit), "calendar")

    span = every.elapsed() if every.unit != "d" else Duration(every.amount, "h").elapsed() * 24
    k = max(1, int((limit - base) / span))
    while k > 1 and due(k) > limit:
        k -= 1
    while due(k + 1) <= limit:
        k += 1
    found = due(k)
    return (k, found) if found <= limit else None


class Occurrence(NamedTuple):
    """Which occurrence of a rule is due: its step name, subject, anchor, k and due time."""

    step: str
    subject: str
    anchor: datetime
    k: int
    due: datetime


def occurrence(task: CompiledTask, record: Any, ctx: Context, limit: datetime) -> Occurrence | None:
    """The occurrence of `task` that is due by `limit` (triggered: the only one), or None."""
    choice = task.due[0] if task.due_always else None
    if choice is None:
        choice = next((d for d in task.due if d.test(record, ctx)), None)
        if choice is None:
            return None
    if choice.anchor is None and not task.steps and task.every is None:
        due = ctx.moment.after(choice.offset, choice.clock)
        return None if due > limit else Occurrence("", task.subject, ctx.now, 0, due)
    anchor = ctx.now if choice.anchor is None else choice.anchor(record, ctx)
    if anchor is None:
        return None
    calendar = ctx.moment.calendar
    if task.steps:
        for name, subject, offset in reversed(task.steps):
            due = calendar.shift(anchor, offset, choice.clock)
            if due <= limit:
                return Occurrence(name, subject, anchor, 0, due)
        return None
    base = calendar.shift(anchor, choice.offset, choice.clock)
    if task.every is not None:
        found = _latest_repeat(base, task.every, limit, calendar)
        return None if found is None else Occurrence("", task.subject, anchor, *found)
    return None if base > limit else Occurrence("", task.subject, anchor, 0, base)


STEP_VALUES: dict[str, Callable[[Occurrence, Context], Any]] = {
    "anchor": lambda found, ctx: event_text(found.anchor),
    "due": lambda found, ctx: event_text(found.due),
    "quarter": lambda found, ctx: ctx.moment.quarter,
    "stage": lambda found, ctx: ctx.stage or "",
    "step": lambda found, ctx: found.step,
    "k": lambda found, ctx: found.k,
}


def step_name(task: CompiledTask, found: Occurrence, ctx: Context) -> str:
    """Fill the rule's step template for this occurrence."""
    template = task.step
    if "{" not in template:
        return template
    if template == "{anchor}":
        return event_text(found.anchor)
    if template == "{step}":
        return found.step
    # Only the placeholders the template uses are computed.
    return template.format_map({name: STEP_VALUES[name](found, ctx) for name in task.step_fields})


def decide_task(
    task: CompiledTask,
    record: Any,
    ctx: Context,
    limits: tuple[datetime, datetime],
    assignee: tuple[str | None, str],
) -> TaskDecision | MissedTask | None:
    """This rule's task for the record, its miss, or None (condition false or not due yet).

    Args:
        task: the compiled rule (its `when` already held).
        record: the canonical record.
        ctx: the evaluation context.
        limits: (earliest due still made, latest due made) for scheduled tasks.
        assignee: (assignee, assignee kind) chosen by the engine for this rule.
    """
    earliest, latest = limits
    if task.at_now:
        due, step = _at_now(task, ctx)
        if task.scheduled and due > latest:
            return None
        subject = task.subject
    else:
        found = occurrence(task, record, ctx, latest if task.scheduled else FAR_FUTURE)
        if found is None:
            return None
        step = task.step if "{" not in task.step else step_name(task, found, ctx)
        zone = ctx.moment.calendar.zone
        due = found.due if found.due.tzinfo is zone else found.due.astimezone(zone)
        subject = found.subject
    key = f"{task.name}:{record.id}:{step}"
    if task.scheduled and due < earliest:
        return MissedTask(task.name, key, due)
    priority = task.fixed_priority or next(
        (value for test, value in task.priorities if test(record, ctx)), "Normal"
    )
    # Positional: this runs once per task made, on the hot path.
    return TaskDecision(task.name, key, step, subject, due, priority, *assignee, task.outreach)


def _at_now(task: CompiledTask, ctx: Context) -> tuple[datetime, str]:
    """Due time and step of a rule due at now + offset: the same for every record at one now."""
    found = ctx.moment.fixed.get(task.name)
    if found is None:
        choice = task.due[0]
        due = ctx.moment.after(choice.offset, choice.clock)
        step = step_name(task, Occurrence("", task.subject, ctx.now, 0, due), ctx)
        found = ctx.moment.fixed[task.name] = (due, step)
    return found
