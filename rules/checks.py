"""Semantic checks of a schema-valid rules file; each problem is reported at its YAML path."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import time
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rules.conditions import DERIVED_FIELDS
from rules.lead import RECORD_TYPES
from rules.schema import OPERATORS, Condition, DueSpec, RulesFile, Stage, TaskRule
from rules.tasks import STEP_PLACEHOLDERS, placeholders
from rules.timing import parse_duration

Where = tuple[str | int, ...]
NUMBER_TYPES = {"int", "float"}


class Reporter(Protocol):
    """Where problems go (rules.loader.Located)."""

    def add(self, where: Where, message: str) -> None:
        """Record one problem at a YAML path."""


class Checker:
    """Walks a RulesFile and reports every semantic problem."""

    def __init__(self, rules: RulesFile, report: Reporter) -> None:
        self.rules = rules
        self.report = report
        self.types = {
            obj: {**cls.FIELD_TYPES, **rules.extra_types(obj)} for obj, cls in RECORD_TYPES.items()
        }
        self.types["lead"].update(score="int", temperature="str", stage="str")
        self.types["opportunity"].update(stage="str")
        self.stages = {
            "lead": {s.name for s in rules.lead_stages},
            "opportunity": {s.name for s in rules.opportunity_stages},
        }

    def duration(self, where: Where, text: str | None, allow_negative: bool = True) -> None:
        """Report a bad duration string."""
        if text is None:
            return
        try:
            offset = parse_duration(text)
        except ValueError as exc:
            self.report.add(where, str(exc))
            return
        if offset.amount < 0 and not allow_negative:
            self.report.add(where, f"'{text}' must not be negative here")

    def field(self, where: Where, obj: str, name: str, want: set[str] | None = None) -> None:
        """Report an unknown field, or one of the wrong type."""
        kind = self.types[obj].get(name)
        if kind is None:
            self.report.add(where, f"unknown {obj} field '{name}' (add it under extra_fields)")
        elif want is not None and kind not in want:
            expected = " or ".join(sorted(want))
            self.report.add(where, f"field '{name}' is {kind}, expected {expected}")

    def unique(self, where: Where, names: Iterable[str], what: str) -> None:
        """Report names given twice."""
        seen: set[str] = set()
        for index, name in enumerate(names):
            if name in seen:
                self.report.add((*where, index, "name"), f"duplicate {what} name '{name}'")
            seen.add(name)

    def conditions(self, where: Where, obj: str, conditions: list[Condition] | None) -> None:
        """Check a list of conditions: one operator each, known fields, known stages."""
        for index, cond in enumerate(conditions or ()):
            self.condition((*where, index), obj, cond)

    def condition(self, where: Where, obj: str, cond: Condition) -> None:
        """Check one condition."""
        used = [op for op in OPERATORS if getattr(cond, op) is not None]
        if len(used) != 1:
            names = ", ".join(op.rstrip("_") for op in used) or "none"
            self.report.add(where, f"a condition needs exactly one operator, found: {names}")
            return
        op = used[0]
        if op in ("any", "all"):
            if cond.field is not None:
                self.report.add((*where, "field"), f"'{op}' takes no field")
            self.conditions((*where, op), obj, getattr(cond, op))
            return
        if cond.field is None:
            self.report.add(where, "condition needs a field")
            return
        want = _operator_types(op)
        self.field((*where, "field"), obj, cond.field, want)
        for key in ("within", "older_than", "passed"):
            self.duration((*where, key), getattr(cond, key))
        if cond.after_field is not None:
            self.field((*where, "after_field"), obj, cond.after_field, {"datetime"})
        if cond.field == "stage" and op in ("in_", "not_in", "eq"):
            values = cond.in_ or cond.not_in or [cond.eq]
            key = {"in_": "in"}.get(op, op)
            self.stage_names((*where, key), obj, values)

    def stage_names(self, where: Where, obj: str, names: Iterable[Any]) -> None:
        """Report stage names the object's stage list does not define."""
        for name in names:
            if name not in self.stages[obj]:
                self.report.add(where, f"unknown {obj} stage '{name}'")


def _operator_types(op: str) -> set[str] | None:
    if op in ("gte", "gt", "lte", "lt"):
        return NUMBER_TYPES
    if op in ("future", "after_field", "within", "older_than", "passed"):
        return {"datetime"}
    return None


def _check_top(ck: Checker, rules: RulesFile) -> None:
    try:
        ZoneInfo(rules.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        ck.report.add(("timezone",), f"unknown time zone '{rules.timezone}'")
    ck.duration(("horizon",), rules.horizon, allow_negative=False)
    ck.duration(("max_lateness",), rules.max_lateness, allow_negative=False)
    hours = rules.business_hours
    clock: dict[str, time] = {}
    for key in ("open", "close"):
        try:
            clock[key] = time.fromisoformat(getattr(hours, key))
        except ValueError:
            ck.report.add(("business_hours", key), f"'{getattr(hours, key)}' is not a time (HH:MM)")
    if len(clock) == 2 and clock["open"] >= clock["close"]:
        ck.report.add(("business_hours", "close"), "closing time must be after opening time")
    for obj, names in rules.extra_fields.items():
        for name in names:
            if name in RECORD_TYPES[obj].FIELD_TYPES or name in DERIVED_FIELDS:
                ck.report.add(("extra_fields", obj, name), f"'{name}' is already a canonical field")
    ck.field(("opt_out", "field"), "lead", rules.opt_out.field, {"bool"})


def _check_scoring(ck: Checker, rules: RulesFile) -> None:
    wants = {"numeric": NUMBER_TYPES, "recency": {"datetime"}, "words": {"str"}, "one_of": {"str"}}
    ck.unique(("scoring", "categories"), (c.name for c in rules.scoring.categories), "category")
    names = [k.name for c in rules.scoring.categories for k in c.criteria]
    for ci, category in enumerate(rules.scoring.categories):
        where: Where = ("scoring", "categories", ci, "criteria")
        for ki, crit in enumerate(category.criteria):
            if names.count(crit.name) > 1:
                ck.report.add((*where, ki, "name"), f"duplicate criterion name '{crit.name}'")
            ck.field((*where, ki, "field"), "lead", crit.field, wants.get(crit.kind))
            for ti, tier in enumerate(getattr(crit, "tiers", ())):
                if getattr(tier, "field", None):
                    ck.field((*where, ki, "tiers", ti, "field"), "lead", tier.field, NUMBER_TYPES)
                ck.duration((*where, ki, "tiers", ti, "within"), getattr(tier, "within", None))
    if sum(c.cap for c in rules.scoring.categories) > 100:
        ck.report.add(("scoring", "categories"), "category caps add up to more than 100")
    _check_bands(ck, rules)


def _check_bands(ck: Checker, rules: RulesFile) -> None:
    bands = rules.scoring.bands
    ck.unique(("scoring", "bands"), (b.name for b in bands), "band")
    covered: dict[int, int] = {}
    for index, band in enumerate(bands):
        if band.min > band.max:
            ck.report.add(("scoring", "bands", index, "min"), "min is above max")
        for score in range(band.min, band.max + 1):
            if score in covered:
                ck.report.add(
                    ("scoring", "bands", index, "min"),
                    f"band '{band.name}' overlaps band '{bands[covered[score]].name}' at {score}",
                )
                break
            covered[score] = index
    gaps = [s for s in range(101) if s not in covered]
    if gaps:
        ck.report.add(("scoring", "bands"), f"bands leave scores uncovered: {_ranges(gaps)}")
    outside = [s for s in covered if not 0 <= s <= 100]
    if outside:
        ck.report.add(("scoring", "bands"), "bands must stay within 0-100")


def _ranges(values: list[int]) -> str:
    parts: list[str] = []
    start = prev = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if value is not None:
            start = prev = value
    return ", ".join(parts)


def _check_stages(ck: Checker, key: str, obj: str, stages: list[Stage]) -> None:
    ck.unique((key,), (s.name for s in stages), "stage")
    for index, stage in enumerate(stages):
        ck.conditions((key, index, "when"), obj, stage.when)
        ck.stage_names((key, index, "branch_from"), obj, stage.branch_from or ())
    for crm, values in ck.rules.stage_values.items():
        table = getattr(values, obj)
        for name in table:
            ck.stage_names(("stage_values", crm, obj, name), obj, [name])
        for name in ck.stages[obj] - set(table):
            ck.report.add(("stage_values", crm, obj), f"no {crm} value for {obj} stage '{name}'")


def _check_due(ck: Checker, where: Where, rule: TaskRule, due: DueSpec) -> None:
    ck.conditions((*where, "when"), rule.object, due.when)
    if due.anchor != "now":
        ck.field((*where, "anchor"), rule.object, due.anchor, {"datetime"})
    ck.duration((*where, "offset"), due.offset, allow_negative=due.clock == "calendar")


def _check_task(ck: Checker, index: int, rule: TaskRule) -> None:
    where: Where = ("tasks", index)
    ck.conditions((*where, "when"), rule.object, rule.when)
    if isinstance(rule.due, list):
        for di, due in enumerate(rule.due):
            _check_due(ck, (*where, "due", di), rule, due)
    else:
        _check_due(ck, (*where, "due"), rule, rule.due)
    for si, step in enumerate(rule.steps or ()):
        ck.duration((*where, "steps", si, "offset"), step.offset)
    if rule.repeat is not None:
        ck.duration((*where, "repeat", "every"), rule.repeat.every, allow_negative=False)
        if rule.steps:
            ck.report.add((*where, "repeat"), "a task has steps or repeat, not both")
    if not isinstance(rule.priority, str):
        for pi, choice in enumerate(rule.priority):
            ck.conditions((*where, "priority", pi, "when"), rule.object, choice.when)
    names = placeholders(rule.step)
    allowed = STEP_PLACEHOLDERS - ({"step"} if not rule.steps else set())
    allowed -= {"k"} if rule.repeat is None else set()
    for name in sorted(names - allowed):
        ck.report.add((*where, "step"), f"step template uses unknown placeholder '{{{name}}}'")
    if rule.steps and "step" not in names:
        ck.report.add((*where, "step"), "a task with steps needs '{step}' in its step template")
    if rule.repeat is not None and "k" not in names:
        ck.report.add((*where, "step"), "a repeating task needs '{k}' in its step template")


def _check_routing(ck: Checker, rules: RulesFile) -> None:
    routing = rules.routing
    for key in ("senior_sales_owner", "escalation_owner"):
        if "@" not in getattr(routing, key):
            ck.report.add(("routing", key), "expected an owner email address")
    for team, members in routing.teams.items():
        if not members:
            ck.report.add(("routing", "teams", team), f"team '{team}' has no members")
    ck.unique(("routing", "rules"), (r.name for r in routing.rules), "routing rule")
    for index, rule in enumerate(routing.rules):
        ck.conditions(("routing", "rules", index, "when"), "lead", rule.when)
        if rule.team not in routing.teams and rule.team != "senior_sales":
            ck.report.add(("routing", "rules", index, "team"), f"unknown team '{rule.team}'")


def check_rules(rules: RulesFile, report: Reporter) -> None:
    """Report every semantic problem of a schema-valid rules file."""
    ck = Checker(rules, report)
    _check_top(ck, rules)
    _check_scoring(ck, rules)
    _check_stages(ck, "lead_stages", "lead", rules.lead_stages)
    _check_stages(ck, "opportunity_stages", "opportunity", rules.opportunity_stages)
    ck.unique(("tasks",), (t.name for t in rules.tasks), "task rule")
    for index, rule in enumerate(rules.tasks):
        _check_task(ck, index, rule)
    _check_routing(ck, rules)
