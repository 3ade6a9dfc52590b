"""Batch writes that survive a bad input: split until it is isolated, write the rest.

HubSpot's batch create/update answers 409 or 400 for the whole batch when one
input is bad (a duplicate email, a bad option value) and writes nothing. When
the error names the bad input (its value appears in the message), that input
is set aside and the rest resent: two calls. Otherwise the batch is bisected.
A set-aside input is reported failed only once the rest went through without
it; if the rest fails too, it is tried alone, so a good record is never
blamed for another's error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from integrations.base import WriteResult

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
Locate = Callable[[BatchRejected, Sequence[T]], int | None]


def chunks(items: Sequence[T], size: int = BATCH_LIMIT) -> list[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def write_isolating(items: Sequence[T], send: Send[T], locate: Locate[T]) -> list[WriteResult]:
    """Write one batch; if it is refused whole, isolate the bad inputs and write the rest.

    Args:
        items: at most one batch of inputs.
        send: makes one batch call, returns one result per input in order, raises
            BatchRejected when the whole batch was refused.
        locate: the index of the input a rejection names, or None when unsure.

    Returns:
        One WriteResult per input, in input order.
    """
    if not items:
        return []
    try:
        return send(items)
    except BatchRejected as rejected:
        return _isolate(items, rejected, send, locate)


def _isolate(
    items: Sequence[T], rejected: BatchRejected, send: Send[T], locate: Locate[T]
) -> list[WriteResult]:
    if len(items) == 1:
        return [rejected.result()]
    index = locate(rejected, items)
    if index is None:
        middle = len(items) // 2
        return write_isolating(items[:middle], send, locate) + write_isolating(
            items[middle:], send, locate
        )
    rest = [item for i, item in enumerate(items) if i != index]
    try:
        results = send(rest)
        suspect = rejected.result()  # the rest went through: the named input was the bad one
    except BatchRejected as again:
        results = _isolate(rest, again, send, locate)
        suspect = write_isolating([items[index]], send, locate)[0]
    results.insert(index, suspect)
    return results


def locate_by_value(
    rejected: BatchRejected, values: Sequence[Iterable[object]], extra_text: str = ""
) -> int | None:
    """The one input whose value the error quotes, or None when none or several do.

    Args:
        rejected: the batch error.
        values: per input, the values worth matching (emails, keys, ids, field values).
        extra_text: more text known to name the bad input (e.g. a looked-up email).

    Returns:
        The index of the single matching input, or None.
    """
    text = f"{rejected.message} {rejected.context} {extra_text}".casefold()
    matches = [
        i
        for i, row in enumerate(values)
        if any(
            isinstance(v, str) and len(v) >= MIN_MATCH_LENGTH and v.casefold() in text for v in row
        )
    ]
    return matches[0] if len(matches) == 1 else None
