"""The SOP scoring rubric in crmops and in the `business-rules` package, on the same leads.

Usage: .venv/bin/python -m benchmarks.rules_vs_business_rules [--leads 100000]

The business-rules rule set is translated from the same `config/sop.yaml` (every
tier, word list, value list, window, cap and band), so an admin's change reaches
both. business-rules has no notion of a category cap, a sum, a time zone or a
datetime, so, as its documentation intends, field access lives in a Variables
class (values normalised there, datetime windows as booleans against cutoffs
computed once in the org's zone), points are awarded by an action, and the sum
and caps are five lines of Python glue. Both must give every lead the same score
and temperature (asserted). Timing is CPU time of this process (one core), with
wall clock beside it; leads are built before timing in both cases.
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from business_rules import run_all
from business_rules.actions import BaseActions, rule_action
from business_rules.fields import FIELD_NUMERIC, FIELD_TEXT
from business_rules.variables import (
    BaseVariables,
    boolean_rule_variable,
    numeric_rule_variable,
    select_multiple_rule_variable,
    string_rule_variable,
)

from benchmarks.common import print_machine, print_table
from benchmarks.rules_throughput import NOW, generate
from rules.conditions import Context
from rules.engine import compile_rules, evaluate_lead
from rules.lead import CanonicalLead
from rules.loader import load_rules
from rules.schema import (
    FlagCriterion,
    MembershipCriterion,
    NumericCriterion,
    RecencyCriterion,
    RulesFile,
    WordsCriterion,
)
from rules.scoring import score_record

TARGET_RATIO = 10.0
TARGET_LEADS_PER_SECOND = 50_000
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
Getter = Callable[[Any], Any]


def _norm(text: Any) -> str:
    return " ".join(re.sub(r"[_-]", " ", str(text)).lower().split())


def _is_set(value: Any) -> bool:
    return (
        value is not None
        and value is not False
        and not (isinstance(value, str) and not value.strip())
    )


def _cutoff(within: str, zone: ZoneInfo) -> datetime:
    """NOW minus a duration: days on the org's wall clock (as sop-rules.md), else elapsed."""
    amount, unit = int(within[:-1]), within[-1]
    if unit == "d":
        local = NOW.astimezone(zone).replace(tzinfo=None) - timedelta(days=amount)
        return local.replace(tzinfo=zone)
    return NOW - timedelta(**{UNITS[unit]: amount})


def _words_pattern(words: list[str]) -> str:
    """Whole words or phrases, as crmops reads them: runs of [a-z0-9] after lower-casing."""
    phrases = [
        "[^a-z0-9]+".join(re.escape(w) for w in re.findall("[a-z0-9]+", p.lower())) for p in words
    ]
    return "(?<![a-z0-9])(?:" + "|".join(phrases) + ")(?![a-z0-9])"


class Translation:
    """The scoring section of a rules file as business-rules variables and rule lists."""

    def __init__(self, rules: RulesFile) -> None:
        self.zone = ZoneInfo(rules.timezone)
        self.getters: dict[str, tuple[Callable[..., Any], Getter]] = {}
        self.categories: list[tuple[int, list[list[dict[str, Any]]]]] = []
        for category in rules.scoring.categories:
            tiers = [self._criterion(c) for c in category.criteria]
            self.categories.append((category.cap, tiers))
        self.bands = [
            _rule(
                [
                    _cond("score", "greater_than_or_equal_to", b.min),
                    _cond("score", "less_than_or_equal_to", b.max),
                ],
                "set_temperature",
                name=b.name,
            )
            for b in rules.scoring.bands
        ]
        self.variables = type("LeadVariables", (LeadVariables,), self._methods())

    def _variable(self, name: str, kind: Callable[..., Any], get: Getter) -> str:
        self.getters[name] = (kind, get)
        return name

    def _methods(self) -> dict[str, Any]:
        methods: dict[str, Any] = {}
        for name, (kind, get) in self.getters.items():
            methods[name] = kind(lambda self, get=get: get(self.lead))
        return methods

    def _criterion(self, c: Any) -> list[dict[str, Any]]:
        if isinstance(c, NumericCriterion):
            return [self._numeric(t.field or c.field, t.min, t.points) for t in c.tiers]
        if isinstance(c, MembershipCriterion):
            return self._membership(c.field, c)
        if isinstance(c, WordsCriterion):
            return self._words(c.field, c)
        if isinstance(c, RecencyCriterion):
            return [self._recency(c.field, t.within, t.points) for t in c.tiers]
        assert isinstance(c, FlagCriterion)
        return [_rule([self._set(c.field)], "award", points=c.points)]

    def _membership(self, field: str, c: MembershipCriterion) -> list[dict[str, Any]]:
        def values(r: Any) -> list[str]:
            return [] if getattr(r, field) is None else [_norm(getattr(r, field))]

        var = self._variable(f"{field}__values", select_multiple_rule_variable(), values)
        op = "shares_at_least_one_element_with"
        return [
            _rule([_cond(var, op, [_norm(v) for v in t.values])], "award", points=t.points)
            for t in c.tiers
        ]

    def _words(self, field: str, c: WordsCriterion) -> list[dict[str, Any]]:
        def text(r: Any) -> str:
            return str(getattr(r, field) or "").lower()

        var = self._variable(f"{field}__text", string_rule_variable, text)
        return [
            _rule([_cond(var, "matches_regex", _words_pattern(t.words))], "award", points=t.points)
            for t in c.tiers
        ]

    def _set(self, field: str) -> dict[str, Any]:
        var = self._variable(
            f"{field}__set", boolean_rule_variable, lambda r: _is_set(getattr(r, field))
        )
        return _cond(var, "is_true", None)

    def _numeric(self, field: str, minimum: float, points: int) -> dict[str, Any]:
        var = self._variable(field, numeric_rule_variable, lambda r: getattr(r, field) or 0)
        test = _cond(var, "greater_than_or_equal_to", minimum)
        # 0 stands for "unknown" in the variable, so a tier at or below 0 also needs the value set.
        return _rule([self._set(field), test] if minimum <= 0 else [test], "award", points=points)

    def _recency(self, field: str, within: str | None, points: int) -> dict[str, Any]:
        if within is None:
            return _rule([self._set(field)], "award", points=points)
        cutoff = _cutoff(within, self.zone)
        var = self._variable(
            f"{field}__within_{within}",
            boolean_rule_variable,
            lambda r: getattr(r, field) is not None and getattr(r, field) >= cutoff,
        )
        return _rule([_cond(var, "is_true", None)], "award", points=points)

    def score(self, lead: CanonicalLead) -> tuple[int, str]:
        """Score and temperature of one lead through business-rules."""
        variables, actions = self.variables(lead), ScoreActions()
        total = 0
        for cap, criteria in self.categories:
            actions.points = 0
            for tiers in criteria:  # first matching tier of each criterion wins
                run_all(tiers, variables, actions, stop_on_first_trigger=True)
            total += min(cap, actions.points)
        run_all(self.bands, ScoreVariables(total), actions, stop_on_first_trigger=True)
        return total, actions.temperature


def _cond(name: str, operator: str, value: Any) -> dict[str, Any]:
    return {"name": name, "operator": operator, "value": value}


def _rule(conditions: list[dict[str, Any]], action: str, **params: Any) -> dict[str, Any]:
    return {"conditions": {"all": conditions}, "actions": [{"name": action, "params": params}]}


class LeadVariables(BaseVariables):
    """Holds one lead; the rule variables are added per rules file by Translation."""

    def __init__(self, lead: CanonicalLead) -> None:
        self.lead = lead


class ScoreVariables(BaseVariables):
    """The summed score, for the temperature bands."""

    def __init__(self, score: int) -> None:
        self._score = score

    @numeric_rule_variable
    def score(self) -> int:
        return self._score


class ScoreActions(BaseActions):
    """Collects awarded points and the temperature band."""

    def __init__(self) -> None:
        self.points = 0
        self.temperature = ""

    @rule_action(params={"points": FIELD_NUMERIC})
    def award(self, points: int) -> None:
        self.points += points

    @rule_action(params={"name": FIELD_TEXT})
    def set_temperature(self, name: str) -> None:
        self.temperature = name


def _timed(work: Callable[[], list[tuple[int, str]]]) -> tuple[list[tuple[int, str]], float, float]:
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    count = parser.parse_args().leads
    print_machine("SOP scoring rubric: crmops rules vs the business-rules package")
    rules = load_rules()
    compiled, translated = compile_rules(rules), Translation(rules)
    rng = random.Random(6)
    leads = [CanonicalLead.from_mapping(generate(rng, i)) for i in range(count)]
    gc.freeze()  # the inputs live for the whole run; keep the collector off them (both sides)
    moment, _ = compiled.moment(NOW)

    def crmops_scoring() -> list[tuple[int, str]]:
        out = []
        for lead in leads:
            score, _ = score_record(compiled.categories, lead, Context(moment))
            out.append((score, compiled.bands[min(max(score, 0), 100)][0]))
        return out

    def crmops_all() -> list[tuple[int, str]]:
        return [(d.score, d.temperature) for d in (evaluate_lead(compiled, x, NOW) for x in leads)]

    runs = {
        "crmops, scoring + band": _timed(crmops_scoring),
        "crmops, all rules (score, stage, routing, tasks)": _timed(crmops_all),
        "business-rules, scoring + band": _timed(lambda: [translated.score(x) for x in leads]),
    }
    expected = runs["crmops, scoring + band"][0]
    for name, (got, _, _) in runs.items():
        wrong = [i for i, pair in enumerate(got) if pair != expected[i]]
        assert not wrong, f"{name}: {len(wrong)} leads differ, first {leads[wrong[0]].id}"
    print(f"leads: {count:,}; all three give the same score and temperature for every lead")
    base_cpu = runs["business-rules, scoring + band"][1]
    rows = [
        [name, round(count / cpu), round(count / wall), f"{base_cpu / cpu:.1f}x"]
        for name, (_, cpu, wall) in runs.items()
    ]
    print_table(["engine", "leads/s (CPU)", "leads/s (wall)", "vs business-rules"], rows)
    all_rules = count / runs["crmops, all rules (score, stage, routing, tasks)"][1]
    same_work = base_cpu / runs["crmops, scoring + band"][1]
    print(
        f"target crmops >= {TARGET_RATIO:.0f}x business-rules on the same rubric: "
        f"{same_work:.1f}x -> {'met' if same_work >= TARGET_RATIO else 'missed'}"
    )
    print(
        f"target >= {TARGET_LEADS_PER_SECOND:,} leads/s, all rules: {all_rules:,.0f} -> "
        f"{'met' if all_rules >= TARGET_LEADS_PER_SECOND else 'missed'}"
    )


if __name__ == "__main__":
    main()
