"""HubSpot search, paged so that no record is lost: keyset windows, instants paged by id.

HubSpot's search stops at 10,000 results per query, trails writes by up to a
minute, and accepts one sort. Offset paging (`after`) over a window would hit
that cap and, worse, skip a record whenever an earlier one is modified while
paging (everything after it shifts by one). So every page here is a fresh
query: the window is narrowed to start at the last timestamp read, and records
at that last timestamp are held back and read again by the next page, which
starts with all of them. When one page is filled by a single instant, that
instant is paged on its own by `hs_object_id` (EQ time, GT last id, sorted by
id), which has no cap at all. Records come out in (time, id) order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SEARCH_PAGE_LIMIT = 200
SEARCH_RESULT_CAP = 10_000
OBJECT_ID = "hs_object_id"
OPERATORS = frozenset(
    {"EQ", "NEQ", "LT", "LTE", "GT", "GTE", "IN", "NOT_IN", "HAS_PROPERTY", "NOT_HAS_PROPERTY"}
)


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    """An aware UTC datetime from epoch milliseconds."""
    return datetime.fromtimestamp(ms / 1000, UTC)


def parse_time(value: object) -> int:
    """Epoch ms from a HubSpot time value: ISO `2026-03-10T18:00:00.000Z` or epoch ms.

    Raises:
        ValueError: when the value is neither.
    """
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return to_ms(moment)


def time_value(ms: int) -> str:
    """A filter value for a datetime property: epoch ms, checked to be an integer."""
    if isinstance(ms, bool) or not isinstance(ms, int):
        raise ValueError(f"a time filter takes epoch milliseconds, not {ms!r}")
    return str(ms)


def id_value(value: int | str) -> str:
    """A filter value for `hs_object_id`: checked to be a plain non-negative integer."""
    text = str(value)
    if isinstance(value, bool) or not text.isdigit():
        raise ValueError(f"a HubSpot object id is numeric, not {value!r}")
    return str(int(text))


@dataclass(frozen=True)
class SearchFilter:
    """One filter; the value travels as a JSON string, never spliced into query text."""

    property: str
    operator: str
    value: str | None = None

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(f"unknown search operator {self.operator!r}")

    def to_json(self) -> dict[str, str]:
        """The filter as the search API takes it."""
        body = {"propertyName": self.property, "operator": self.operator}
        if self.value is not None:
            body["value"] = self.value
        return body


@dataclass(frozen=True)
class SearchQuery:
    """One search request: filters ANDed in one group, one ascending sort, no offset."""

    filters: tuple[SearchFilter, ...]
    sort: str
    limit: int = SEARCH_PAGE_LIMIT

    def body(self, properties: Sequence[str]) -> dict[str, Any]:
        """The request JSON for the search endpoint."""
        return {
            "filterGroups": [{"filters": [f.to_json() for f in self.filters]}],
            "sorts": [{"propertyName": self.sort, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": self.limit,
        }


@dataclass(frozen=True)
class Page:
    """What one search answered: its results and the query's total."""

    results: list[dict[str, Any]]
    total: int


Runner = Callable[[SearchQuery], Page]


def record_key(record: dict[str, Any], modified_property: str) -> tuple[int, int]:
    """(modified ms, numeric id) of one search result."""
    return parse_time(record["properties"][modified_property]), int(record["id"])


def window_query(prop: str, start_ms: int, end_ms: int, limit: int) -> SearchQuery:
    """Records with start <= prop < end, oldest first."""
    filters = (
        SearchFilter(prop, "GTE", time_value(start_ms)),
        SearchFilter(prop, "LT", time_value(end_ms)),
    )
    return SearchQuery(filters, prop, limit)


def instant_query(prop: str, at_ms: int, after_id: int, limit: int) -> SearchQuery:
    """Records with prop == at and id > after_id, by id."""
    filters = (
        SearchFilter(prop, "EQ", time_value(at_ms)),
        SearchFilter(OBJECT_ID, "GT", id_value(after_id)),
    )
    return SearchQuery(filters, OBJECT_ID, limit)


def changed(
    run: Runner,
    prop: str,
    start_ms: int,
    end_ms: int,
    *,
    after: tuple[int, int] | None = None,
    limit: int = SEARCH_PAGE_LIMIT,
) -> Iterator[dict[str, Any]]:
    """Every record with start <= prop < end, in (time, id) order, lazily.

    Args:
        run: makes one search call.
        prop: the modified-time property.
        start_ms: window start, inclusive.
        end_ms: window end, exclusive (now minus the search lag).
        after: a cursor (ms, id); records at or before it are dropped.
        limit: page size.

    Yields:
        Raw search results.
    """
    lo = start_ms
    while lo < end_ms:
        page = run(window_query(prop, lo, end_ms, limit))
        keyed = sorted(((record_key(r, prop), r) for r in page.results), key=lambda kr: kr[0])
        if not keyed:
            return
        first, last = keyed[0][0][0], keyed[-1][0][0]
        exhausted = len(keyed) >= page.total or len(keyed) < limit
        if exhausted:
            yield from _after(keyed, after)
            return
        if first == last:
            yield from _instant(run, prop, first, after, limit)
            lo = first + 1
            continue
        # Hold back the last instant: the next page starts with all of it.
        yield from _after([kr for kr in keyed if kr[0][0] < last], after)
        lo = last


def _instant(
    run: Runner, prop: str, at_ms: int, after: tuple[int, int] | None, limit: int
) -> Iterator[dict[str, Any]]:
    last_id = after[1] if after is not None and after[0] == at_ms else 0
    while True:
        page = run(instant_query(prop, at_ms, last_id, limit))
        keyed = sorted(((record_key(r, prop), r) for r in page.results), key=lambda kr: kr[0])
        yield from _after(keyed, after)
        if not keyed or len(keyed) >= page.total or len(keyed) < limit:
            return
        last_id = keyed[-1][0][1]


def _after(
    keyed: list[tuple[tuple[int, int], dict[str, Any]]], after: tuple[int, int] | None
) -> Iterator[dict[str, Any]]:
    for key, record in keyed:
        if after is None or key > after:
            yield record
