"""Compile a validated rules file once into closures and tuples (`compile_rules`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from rules.conditions import Accessor, Moment, Test, accessor, compile_all
from rules.lead import RECORD_TYPES
from rules.schema import RulesFile
from rules.scoring import CompiledCategory, compile_categories
from rules.stages import StageMachine, compile_stages
from rules.tasks import CompiledTask, compile_task
from rules.timing import BusinessCalendar, Duration, parse_duration, to_utc

SENIOR_SALES = "senior_sales"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class TaskIndex:
    """An object's compiled task rules, indexed by the stage at which they can apply."""

    rules: tuple[CompiledTask, ...]
    # (stage, opted out) -> the rules worth testing; stage None: unmapped (no stage-based rule).
    by_stage: dict[tuple[str | None, bool], tuple[CompiledTask, ...]]

    def for_stage(self, stage: str | None, opted_out: bool = False) -> tuple[CompiledTask, ...]:
        """The rules worth testing for a record at `stage` (its stage after this run)."""
        found = self.by_stage.get((stage, opted_out))
        return self.by_stage[(None, opted_out)] if found is None else found

    @classmethod
    def build(cls, rules: RulesFile, obj: str, fields: frozenset[str]) -> TaskIndex:
        """Compile the task rules of `obj` and index them."""
        stages = rules.lead_stages if obj == "lead" else rules.opportunity_stages
        names = frozenset(s.name for s in stages)
        compiled = tuple(compile_task(t, fields, names) for t in rules.tasks if t.object == obj)
        index: dict[tuple[str | None, bool], tuple[CompiledTask, ...]] = {}
        for opted_out in (False, True):
            allowed = [t for t in compiled if not (opted_out and t.outreach)]
            index[(None, opted_out)] = tuple(t for t in allowed if not t.stage_based)
            for name in names:
                index[(name, opted_out)] = tuple(t for t in allowed if name in t.stages)
        return cls(rules=compiled, by_stage=index)


@dataclass(eq=False, repr=False)
class Compiled:
    """Rules ready for fast evaluation; keeps the window boundaries of the latest `now`."""

    rules: RulesFile
    calendar: BusinessCalendar
    horizon: Duration
    max_lateness: Duration
    categories: tuple[CompiledCategory, ...]
    bands: tuple[tuple[str, str], ...]  # (temperature, Salesforce rating) for scores 0..100
    lead_stages: StageMachine
    opportunity_stages: StageMachine
    lead_tasks: TaskIndex
    opportunity_tasks: TaskIndex
    routing: tuple[tuple[str, Test, str, tuple[str, ...]], ...]
    senior_sales_owner: str
    escalation_owner: str
    opt_out: Accessor
    defer_open_outreach: bool
    deferral_note: str
    extra_types: dict[str, dict[str, str]]
    _moment: tuple[datetime, Moment, tuple[datetime, datetime]] | None = field(
        default=None, repr=False
    )

    def __repr__(self) -> str:
        lead_rules, opp_rules = len(self.lead_tasks.rules), len(self.opportunity_tasks.rules)
        return f"Compiled({self.rules.timezone}, {lead_rules} lead / {opp_rules} opportunity tasks)"

    def moment(self, now: datetime) -> tuple[Moment, tuple[datetime, datetime]]:
        """The Moment for `now` and the (earliest, latest) due limits, reused for equal `now`."""
        if self._moment is None or self._moment[0] != now:
            utc = to_utc(now)
            moment = Moment(utc, self.calendar)
            latest = self.calendar.shift(utc, self.horizon, "calendar")
            self._moment = (now, moment, (moment.before(self.max_lateness), latest))
        return self._moment[1], self._moment[2]

    def stage_values(self, crm: str, obj: str, stage: str) -> dict[str, str]:
        """The CRM's native field values for a canonical stage (e.g. {"Status": "Qualified"})."""
        crm_stages = self.rules.stage_values[crm]  # type: ignore[index]
        return dict(getattr(crm_stages, obj)[stage])

    def stage_from_values(self, crm: str, obj: str, values: dict[str, Any]) -> str | None:
        """The canonical stage for a record's native stage values, or None (unmapped).

        A stage whose values all match wins; failing that, the only stage whose first
        native field matches (e.g. HubSpot moved lifecyclestage on its own).
        """
        crm_stages = self.rules.stage_values[crm]  # type: ignore[index]
        table: dict[str, dict[str, str]] = getattr(crm_stages, obj)
        for stage, native in table.items():
            if all(values.get(k) == v for k, v in native.items()):
                return stage
        by_first = [s for s, n in table.items() if n and _first_matches(n, values)]
        return by_first[0] if len(by_first) == 1 else None


def _first_matches(native: dict[str, str], values: dict[str, Any]) -> bool:
    name, wanted = next(iter(native.items()))
    return values.get(name) == wanted


def record_fields(obj: str, rules: RulesFile) -> frozenset[str]:
    """Field names stored as attributes on the canonical record of `obj`."""
    return frozenset(RECORD_TYPES[obj].FIELD_TYPES)


def team_members(rules: RulesFile, team: str) -> tuple[str, ...]:
    """A routing team's owner emails; `senior_sales` is the senior-sales owner unless defined."""
    if team == SENIOR_SALES and team not in rules.routing.teams:
        return (rules.routing.senior_sales_owner,)
    return tuple(rules.routing.teams[team])


def _calendar(rules: RulesFile) -> BusinessCalendar:
    hours = rules.business_hours
    return BusinessCalendar(
        ZoneInfo(rules.timezone),
        [WEEKDAYS.index(d) for d in hours.days],
        time.fromisoformat(hours.open),
        time.fromisoformat(hours.close),
        hours.holidays,
    )


def _bands(rules: RulesFile) -> tuple[tuple[str, str], ...]:
    table = [("", "")] * 101
    for band in rules.scoring.bands:
        for score in range(max(band.min, 0), min(band.max, 100) + 1):
            table[score] = (band.name, band.salesforce_rating)
    return tuple(table)


def compile_rules(rules: RulesFile) -> Compiled:
    """Compile a validated rules file (from `rules.loader.load_rules`); run it once per process."""
    lead_fields = record_fields("lead", rules)
    opp_fields = record_fields("opportunity", rules)
    return Compiled(
        rules=rules,
        calendar=_calendar(rules),
        horizon=parse_duration(rules.horizon),
        max_lateness=parse_duration(rules.max_lateness),
        categories=compile_categories(rules.scoring.categories, lead_fields),
        bands=_bands(rules),
        lead_stages=compile_stages(rules.lead_stages, lead_fields),
        opportunity_stages=compile_stages(rules.opportunity_stages, opp_fields),
        lead_tasks=TaskIndex.build(rules, "lead", lead_fields),
        opportunity_tasks=TaskIndex.build(rules, "opportunity", opp_fields),
        routing=tuple(
            (r.name, compile_all(r.when, lead_fields), r.team, team_members(rules, r.team))
            for r in rules.routing.rules
        ),
        senior_sales_owner=rules.routing.senior_sales_owner,
        escalation_owner=rules.routing.escalation_owner,
        opt_out=accessor(rules.opt_out.field, lead_fields),
        defer_open_outreach=rules.opt_out.defer_open_outreach,
        deferral_note=rules.opt_out.deferral_note,
        extra_types={obj: rules.extra_types(obj) for obj in RECORD_TYPES},
    )
