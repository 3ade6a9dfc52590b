"""Compile declarative `when:` conditions into closures over (record, context).

A compiled condition is `Callable[[record, Context], bool]`; no validation
happens when it runs. Field values come from the record, its `extra` mapping,
or the context (score, temperature, stage and stage_changed_at as they stand
after this run's decisions).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any

from rules.schema import Condition
from rules.timing import BusinessCalendar, Duration, parse_duration

DERIVED_FIELDS = ("score", "temperature", "stage", "stage_changed_at")

Accessor = Callable[[Any, "Context"], Any]
Test = Callable[[Any, "Context"], bool]


class Moment:
    """`now` with the window boundaries derived from it, computed once per distinct offset."""

    __slots__ = ("_after", "_cache", "calendar", "fixed", "now", "quarter")

    def __init__(self, now: datetime, calendar: BusinessCalendar) -> None:
        self.now = now
        self.calendar = calendar
        self._cache: dict[tuple[int, str], datetime] = {}
        self._after: dict[tuple[int, str, str], datetime] = {}
        # Task rule name -> (due, step) of rules due at now + offset (see rules.tasks).
        self.fixed: dict[str, tuple[datetime, str]] = {}
        local = now.astimezone(calendar.zone)
        self.quarter = f"{local.year}Q{(local.month - 1) // 3 + 1}"

    def after(self, offset: Duration, clock: str) -> datetime:
        """`now` plus the offset on `clock`, in the org's zone (due times of triggered tasks)."""
        key = (offset.amount, offset.unit, clock)
        found = self._after.get(key)
        if found is None:
            found = self.calendar.shift(self.now, offset, clock).astimezone(self.calendar.zone)
            self._after[key] = found
        return found

    def before(self, offset: Duration) -> datetime:
        """`now` minus the offset on the calendar clock."""
        key = (offset.amount, offset.unit)
        found = self._cache.get(key)
        if found is None:
            found = self.calendar.shift(self.now, Duration(-offset.amount, offset.unit), "calendar")
            self._cache[key] = found
        return found


class Context:
    """What one evaluation knows besides the record: now and this run's decisions."""

    __slots__ = ("moment", "now", "score", "stage", "stage_changed_at", "temperature")

    def __init__(self, moment: Moment) -> None:
        self.moment = moment
        self.now = moment.now
        self.score = 0
        self.temperature = ""
        self.stage: str | None = None
        self.stage_changed_at: datetime | None = None


def accessor(name: str, record_fields: frozenset[str]) -> Accessor:
    """A fast getter for a field name: derived from the context, a record attribute, or extra."""
    if name.isidentifier() and (name in DERIVED_FIELDS or name in record_fields):
        # A generated attribute read saves a call per field read on the hot path; the name
        # is a checked identifier from a fixed set, so nothing else can be evaluated.
        owner = "ctx" if name in DERIVED_FIELDS else "record"
        getter: Accessor = eval(f"lambda record, ctx: {owner}.{name}")
        return getter
    return lambda record, ctx: record.extra.get(name)


def is_set(value: Any) -> bool:
    """A value that counts as present: not null, not blank, not false."""
    return value is not None and value is not False and value != ""


@lru_cache(maxsize=16384)
def normalise(text: Any) -> str:
    """Trim, lower-case, read `_` and `-` as spaces, collapse spaces."""
    return " ".join(re.sub(r"[_-]", " ", str(text)).lower().split())


def compile_all(conditions: list[Condition] | None, record_fields: frozenset[str]) -> Test:
    """All conditions must hold (an empty list always holds)."""
    tests = tuple(compile_condition(c, record_fields) for c in conditions or ())
    if not tests:
        return lambda record, ctx: True
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda record, ctx: first(record, ctx) and second(record, ctx)

    def every(record: Any, ctx: Context) -> bool:
        return all(test(record, ctx) for test in tests)

    return every


def compile_condition(cond: Condition, record_fields: frozenset[str]) -> Test:
    """Compile one condition (its single operator was checked by the loader)."""
    if cond.any is not None:
        tests = tuple(compile_condition(c, record_fields) for c in cond.any)
        if len(tests) == 2:
            first, second = tests
            return lambda record, ctx: first(record, ctx) or second(record, ctx)

        def some(record: Any, ctx: Context) -> bool:
            return any(test(record, ctx) for test in tests)

        return some
    if cond.all is not None:
        return compile_all(cond.all, record_fields)
    get = accessor(cond.field or "", record_fields)
    for builder in (_membership, _numeric, _presence, _temporal):
        test = builder(cond, get, record_fields)
        if test is not None:
            return test
    raise ValueError("condition has no operator")


def _membership(cond: Condition, get: Accessor, fields: frozenset[str]) -> Test | None:
    if cond.in_ is not None:
        allowed = frozenset(normalise(v) for v in cond.in_)
        return lambda r, c: (v := get(r, c)) is not None and normalise(v) in allowed
    if cond.not_in is not None:
        refused = frozenset(normalise(v) for v in cond.not_in)
        return lambda r, c: (v := get(r, c)) is not None and normalise(v) not in refused
    if cond.eq is not None:
        wanted = cond.eq
        return lambda r, c: get(r, c) == wanted
    return None


def _numeric(cond: Condition, get: Accessor, fields: frozenset[str]) -> Test | None:
    if cond.gte is not None:
        gte = cond.gte
        return lambda r, c: (v := get(r, c)) is not None and v >= gte
    if cond.gt is not None:
        gt = cond.gt
        return lambda r, c: (v := get(r, c)) is not None and v > gt
    if cond.lte is not None:
        lte = cond.lte
        return lambda r, c: (v := get(r, c)) is not None and v <= lte
    if cond.lt is not None:
        lt = cond.lt
        return lambda r, c: (v := get(r, c)) is not None and v < lt
    return None


def _presence(cond: Condition, get: Accessor, fields: frozenset[str]) -> Test | None:
    if cond.set is True:  # is_set inlined: this test runs several times per record
        return lambda r, c: (v := get(r, c)) is not None and v is not False and v != ""
    if cond.set is False:
        return lambda r, c: (v := get(r, c)) is None or v is False or v == ""
    if cond.future is not None:
        future = cond.future
        return lambda r, c: (v := get(r, c)) is not None and (v > c.now) is future
    if cond.after_field is not None:
        other = accessor(cond.after_field, fields)

        def after(r: Any, c: Context) -> bool:
            value, reference = get(r, c), other(r, c)
            return value is not None and reference is not None and value > reference

        return after
    return None


def _temporal(cond: Condition, get: Accessor, fields: frozenset[str]) -> Test | None:
    if cond.within is not None:
        window = parse_duration(cond.within)
        return lambda r, c: (v := get(r, c)) is not None and v >= c.moment.before(window)
    if cond.older_than is not None:
        age = parse_duration(cond.older_than)
        return lambda r, c: (v := get(r, c)) is not None and v < c.moment.before(age)
    if cond.passed is not None:
        span = parse_duration(cond.passed)

        def passed(r: Any, c: Context) -> bool:
            start = get(r, c)
            return start is not None and c.now >= c.moment.calendar.shift(start, span, "calendar")

        return passed
    return None
