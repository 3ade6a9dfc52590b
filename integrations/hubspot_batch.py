"""Batch writes that survive a bad input: split until it is isolated, write the rest.

HubSpot's batch create/update answers 409 or 400 for the whole batch when one
input is bad (a duplicate email, a bad option value) and writes nothing. When
the error names the bad input (its value appears in the message), that input
(or every input sharing the named defect) is set aside and the rest resent:
two calls. Otherwise the batch is bisected. Set-aside inputs are reported
failed only once the rest went through without them; if the rest fails too,
they are tried on their own, so a good record is never blamed for another's
error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from integrations.base import WriteResult
from integrations.streams import slices

BATCH_LIMIT = 100
# Shorter values match too much text by accident ("1", "No").
MIN_MATCH_LENGTH = 3

T = TypeVar("T")


@dataclass
class BatchRejected(Exception):
    """The CRM refused a whole batch because of (at least) one input; nothing was written."""

    status: int
    category: str
    message: str
    context: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.category}: {self.message}"

    def result(self) -> WriteResult:
        """The failed WriteResult for the input this rejection is blamed on."""
        names = self.context.get("properties") or self.context.get("propertyName") or ()
        if isinstance(names, str):
            names = (names,)
        return WriteResult(
            ok=False,
            error_code=self.category,
            message=self.message,
            fields=tuple(str(n) for n in names),
        )


Send = Callable[[Sequence[T]], list[WriteResult]]
Locate = Callable[[BatchRejected, Sequence[T]], Sequence[int]]


def chunks(items: Sequence[T], size: int = BATCH_LIMIT) -> list[Sequence[T]]:
    """Consecutive slices of at most `size` items (a batch's 100 by default)."""
    return slices(items, size)


def write_isolating(items: Sequence[T], send: Send[T], locate: Locate[T]) -> list[WriteResult]:
    """Write one batch; if it is refused whole, isolate the bad inputs and write the rest.

    Args:
        items: at most one batch of inputs.
        send: makes one batch call, returns one result per input in order, raises
            BatchRejected when the whole batch was refused.
        locate: the indexes of the inputs a rejection names (empty when unsure).

    Returns:
        One WriteResult per input, in input order.
    """
    return _write(items, send, locate, probe=True)


def _write(items: Sequence[T], send: Send[T], locate: Locate[T], probe: bool) -> list[WriteResult]:
    if not items:
        return []
    try:
        return send(items)
    except BatchRejected as rejected:
        return _isolate(items, rejected, send, locate, probe)


def _isolate(
    items: Sequence[T],
    rejected: BatchRejected,
    send: Send[T],
    locate: Locate[T],
    probe: bool = False,
) -> list[WriteResult]:
    if len(items) == 1:
        return [rejected.result()]
    named = sorted(set(locate(rejected, items)))
    if len(named) == len(items):  # every input carries the defect the error names
        return [rejected.result() for _ in items]
    if not named:
        return _bisect(items, rejected, send, locate, probe)
    rest = [item for i, item in enumerate(items) if i not in named]
    try:
        results = send(rest)
        # The rest went through: the named inputs were the bad ones.
        blamed = [rejected.result() for _ in named]
    except BatchRejected as again:
        results = _isolate(rest, again, send, locate)
        blamed = _write([items[i] for i in named], send, locate, probe=False)
    for i, result in zip(named, blamed, strict=True):
        results.insert(i, result)
    return results


def _bisect(
    items: Sequence[T], rejected: BatchRejected, send: Send[T], locate: Locate[T], probe: bool
) -> list[WriteResult]:
    """Split in two; a refusal no input can be blamed for, met again everywhere, stops it.

    An error about the batch as a whole (a bad idProperty, say) would otherwise cost
    two calls per input. When both halves and the first input of each are refused
    with the same message naming no input, every input is reported refused, saying
    that it was not isolated: none of them was written. Only the first split
    checks (`probe`): below it, a batch-wide error would already have been seen.
    """
    middle = len(items) // 2
    halves = [items[:middle], items[middle:]]
    outcomes = [_try_send(half, send) for half in halves]
    if probe and all(
        _same_unnamed(o, rejected, h, locate) for o, h in zip(outcomes, halves, strict=True)
    ):
        singles = [_try_send(half[:1], send) for half in halves]
        if all(
            _same_unnamed(o, rejected, h[:1], locate) for o, h in zip(singles, halves, strict=True)
        ):
            note = f"{rejected.message} (refused for the whole batch; not written)"
            return [replace(rejected.result(), message=note) for _ in items]
        outcomes = [
            _rest(half, single, send, locate) for half, single in zip(halves, singles, strict=True)
        ]
    results: list[WriteResult] = []
    for half, outcome in zip(halves, outcomes, strict=True):
        results += outcome if isinstance(outcome, list) else _isolate(half, outcome, send, locate)
    return results


def _try_send(items: Sequence[T], send: Send[T]) -> list[WriteResult] | BatchRejected:
    try:
        return send(items)
    except BatchRejected as rejected:
        return rejected


def _same_unnamed(
    outcome: list[WriteResult] | BatchRejected,
    first: BatchRejected,
    items: Sequence[T],
    locate: Locate[T],
) -> bool:
    return (
        isinstance(outcome, BatchRejected)
        and (outcome.status, outcome.category, outcome.message)
        == (first.status, first.category, first.message)
        and not locate(outcome, items)
    )


def _rest(
    half: Sequence[T], single: list[WriteResult] | BatchRejected, send: Send[T], locate: Locate[T]
) -> list[WriteResult]:
    """A half whose first input was already tried alone: that answer, then the others."""
    first = single if isinstance(single, list) else [single.result()]
    return first + _write(half[1:], send, locate, probe=False)


def locate_by_value(
    rejected: BatchRejected, values: Sequence[Iterable[object]], extra_text: str = ""
) -> list[int]:
    """The one input whose value the error quotes, or nothing when none or several do.

    Args:
        rejected: the batch error.
        values: per input, the values worth matching (emails, keys, ids, field values).
        extra_text: more text known to name the bad input (e.g. a looked-up email).

    Returns:
        The index of the single matching input in a list, or an empty list.
    """
    text = f"{rejected.message} {rejected.context} {extra_text}".casefold()
    matches = [
        i
        for i, row in enumerate(values)
        if any(
            isinstance(v, str) and len(v) >= MIN_MATCH_LENGTH and v.casefold() in text for v in row
        )
    ]
    return matches if len(matches) == 1 else []


_EXISTING_ID = re.compile(r"Existing ID: (\d+)")
_DETAILS_PREFIX = "Property values were not valid: "
# Defects of the property itself: every input writing it fails the same way.
PROPERTY_DEFECTS = frozenset({"PROPERTY_DOESNT_EXIST", "READ_ONLY_VALUE"})
REQUIRED = "REQUIRED_PROPERTY"


def existing_id(message: str) -> str | None:
    """The record id a 409 CONFLICT names (`... Existing ID: 123`), if any."""
    found = _EXISTING_ID.search(message)
    return found.group(1) if found else None


def property_details(message: str) -> list[dict[str, Any]]:
    """The per-property details a 400 VALIDATION_ERROR carries inside its message."""
    if _DETAILS_PREFIX not in message:
        return []
    try:
        details = json.loads(message.split(_DETAILS_PREFIX, 1)[1])
    except ValueError:
        return []
    return [d for d in details if isinstance(d, dict)] if isinstance(details, list) else []


def locate_by_details(
    details: list[dict[str, Any]], rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Inputs a property error names: writing a defective property, lacking a required one.

    Or the one whose value the message starts with.

    A bad value is recognised by the error message starting with it ("xyz was not
    one of the allowed options ..."), as HubSpot words them.
    """
    named: set[int] = set()
    for detail in details:
        name, message = str(detail.get("name", "")), str(detail.get("message", ""))
        for i, row in enumerate(rows):
            if detail.get("error") == REQUIRED and not row.get(name):
                named.add(i)
            if name not in row:
                continue
            value = "" if row[name] is None else str(row[name])
            if detail.get("error") in PROPERTY_DEFECTS or (value and message.startswith(value)):
                named.add(i)
    return sorted(named)


def duplicates_within(rows: Sequence[Mapping[str, Any]], unique: Sequence[str]) -> list[int]:
    """Inputs repeating a unique value (case-insensitive) an earlier input of the batch holds."""
    seen: set[tuple[str, str]] = set()
    repeats = []
    for i, row in enumerate(rows):
        keys = {(p, str(row[p]).strip().casefold()) for p in unique if row.get(p)}
        if keys & seen:
            repeats.append(i)
        seen |= keys
    return repeats
