"""Compile scoring criteria and categories into closures; score a record with its breakdown.

Tiers are tried in the order written; the first that matches gives its points.
A category's total is capped; a capped category adds an entry with negative
points so the breakdown's entries add up to the score.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from rules.conditions import Context, accessor, is_set, normalise
from rules.decisions import ScoreEntry
from rules.schema import (
    Category,
    Criterion,
    FlagCriterion,
    MembershipCriterion,
    NumericCriterion,
    RecencyCriterion,
    WordsCriterion,
)
from rules.timing import parse_duration

WORD = re.compile(r"[a-z0-9]+")
# A criterion returns its breakdown entry (prebuilt), or None when nothing matched.
Scorer = Callable[[Any, Context], "ScoreEntry | None"]
CompiledCategory = tuple[str, int, tuple[Scorer, ...]]


@lru_cache(maxsize=16384)
def words_of(text: str) -> tuple[str, ...]:
    """The words of a text: runs of letters or digits, lower-cased."""
    return tuple(WORD.findall(text.lower()))


def _contains_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[i : i + size] == phrase for i in range(len(words) - size + 1))


def _entry(name: str, points: int) -> ScoreEntry | None:
    """The breakdown entry a tier gives, built once at compile time (none for 0 points)."""
    return ScoreEntry(name, points) if points else None


def _numeric(criterion: NumericCriterion, fields: frozenset[str]) -> Scorer:
    if all(t.field in (None, criterion.field) for t in criterion.tiers):
        return _numeric_one_field(criterion, fields)
    tiers = tuple(
        (accessor(t.field or criterion.field, fields), t.min, _entry(criterion.name, t.points))
        for t in criterion.tiers
    )

    def score(record: Any, ctx: Context) -> ScoreEntry | None:
        for get, minimum, entry in tiers:
            value = get(record, ctx)
            if value is not None and value >= minimum:
                return entry
        return None

    return score


def _numeric_one_field(criterion: NumericCriterion, fields: frozenset[str]) -> Scorer:
    get = accessor(criterion.field, fields)
    tiers = tuple((t.min, _entry(criterion.name, t.points)) for t in criterion.tiers)

    def score(record: Any, ctx: Context) -> ScoreEntry | None:
        value = get(record, ctx)
        if value is None:
            return None
        for minimum, entry in tiers:
            if value >= minimum:
                return entry
        return None

    return score


def _words(criterion: WordsCriterion, fields: frozenset[str]) -> Scorer:
    get = accessor(criterion.field, fields)
    tiers = []
    for tier in criterion.tiers:
        entries = [words_of(e) for e in tier.words]
        singles = frozenset(w[0] for w in entries if len(w) == 1)
        phrases = tuple(w for w in entries if len(w) > 1)
        tiers.append((singles, phrases, _entry(criterion.name, tier.points)))
    frozen = tuple(tiers)

    def score(record: Any, ctx: Context) -> ScoreEntry | None:
        text = get(record, ctx)
        if not text:
            return None
        words = words_of(str(text))
        for singles, phrases, entry in frozen:
            if not singles.isdisjoint(words) or any(_contains_phrase(words, p) for p in phrases):
                return entry
        return None

    return score


def _membership(criterion: MembershipCriterion, fields: frozenset[str]) -> Scorer:
    get = accessor(criterion.field, fields)
    lookup: dict[str, ScoreEntry | None] = {}
    for tier in reversed(criterion.tiers):  # earlier tiers win, so they are written last
        lookup.update({normalise(v): _entry(criterion.name, tier.points) for v in tier.values})

    def score(record: Any, ctx: Context) -> ScoreEntry | None:
        value = get(record, ctx)
        return None if value is None else lookup.get(normalise(value))

    return score


def _recency(criterion: RecencyCriterion, fields: frozenset[str]) -> Scorer:
    get = accessor(criterion.field, fields)
    tiers = tuple(
        (parse_duration(t.within) if t.within else None, _entry(criterion.name, t.points))
        for t in criterion.tiers
    )

    def score(record: Any, ctx: Context) -> ScoreEntry | None:
        moment = get(record, ctx)
        if moment is None:
            return None
        for window, entry in tiers:
            if window is None or moment >= ctx.moment.before(window):
                return entry
        return None

    return score


def _flag(criterion: FlagCriterion, fields: frozenset[str]) -> Scorer:
    get = accessor(criterion.field, fields)
    entry = _entry(criterion.name, criterion.points)
    return lambda record, ctx: entry if is_set(get(record, ctx)) else None


BUILDERS: dict[type, Callable[[Any, frozenset[str]], Scorer]] = {
    NumericCriterion: _numeric,
    WordsCriterion: _words,
    MembershipCriterion: _membership,
    RecencyCriterion: _recency,
    FlagCriterion: _flag,
}


def compile_criterion(criterion: Criterion, fields: frozenset[str]) -> Scorer:
    """Compile one criterion of any kind."""
    return BUILDERS[type(criterion)](criterion, fields)


def compile_categories(
    categories: list[Category], fields: frozenset[str]
) -> tuple[CompiledCategory, ...]:
    """Compile categories to (name, cap, (scorer, ...)) tuples."""
    return tuple(
        (c.name, c.cap, tuple(compile_criterion(k, fields) for k in c.criteria)) for c in categories
    )


def score_record(
    categories: tuple[CompiledCategory, ...], record: Any, ctx: Context
) -> tuple[int, list[ScoreEntry]]:
    """The score and its breakdown: (criterion, points) entries that add up to the score."""
    total = 0
    breakdown: list[ScoreEntry] = []
    for name, cap, scorers in categories:
        subtotal = 0
        for scorer in scorers:
            entry = scorer(record, ctx)
            if entry is not None:
                breakdown.append(entry)
                subtotal += entry[1]
        if subtotal > cap:
            breakdown.append(ScoreEntry(f"{name} cap", cap - subtotal))
            subtotal = cap
        total += subtotal
    return total, breakdown
