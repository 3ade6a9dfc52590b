"""HubSpot search, paged so that no record is lost: keyset pages on (modified time, id).

HubSpot's search stops at 10,000 results per query, trails writes by up to a
minute, and accepts one sort. Offset paging (`after`) over a window would hit
that cap and, worse, skip a record whenever an earlier one is modified while
paging (everything after it shifts by one). So every page is a fresh query
for the records after the last (time, id) read: `time = T AND id > X` OR
`T < time < end`, sorted by time. No query ever pages, so neither the cap nor
a crowd of 25,000 records sharing one instant matters.

That is exact when HubSpot orders equal times by id. Nothing promises it, so
it is checked: the records of the page's last instant are held back until the
next query's total equals the previous total minus the page, which holds only
if no record at or before the page's last (time, id) was skipped. When the
check fails, that instant is read whole on its own, paged by id (EQ time, GT
id, sorted by id). Records come out in (time, id) order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SEARCH_PAGE_LIMIT = 200
SEARCH_RESULT_CAP = 10_000
IN_VALUES_LIMIT = 100
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
    values: tuple[str, ...] = ()  # for IN / NOT_IN

    def __post_init__(self) -> None:
        if self.operator not in OPERATORS:
            raise ValueError(f"unknown search operator {self.operator!r}")
        if not all(isinstance(v, str) for v in self.values):
            raise ValueError("IN values travel as strings")

    def to_json(self) -> dict[str, Any]:
        """The filter as the search API takes it."""
        body: dict[str, Any] = {"propertyName": self.property, "operator": self.operator}
        if self.value is not None:
            body["value"] = self.value
        if self.operator in ("IN", "NOT_IN"):
            body["values"] = list(self.values)
        return body


@dataclass(frozen=True)
class SearchQuery:
    """One search request: filters ANDed in a group (groups ORed), one ascending sort.

    `offset` is only for probing one rank (offset + limit stays within the cap).
    """

    filters: tuple[SearchFilter, ...]
    sort: str
    limit: int = SEARCH_PAGE_LIMIT
    offset: int = 0
    alternatives: tuple[tuple[SearchFilter, ...], ...] = ()  # further groups, ORed

    def __post_init__(self) -> None:
        if self.offset + self.limit > SEARCH_RESULT_CAP:
            raise ValueError(f"search cannot reach past result {SEARCH_RESULT_CAP}")

    def body(self, properties: Sequence[str]) -> dict[str, Any]:
        """The request JSON for the search endpoint."""
        body: dict[str, Any] = {
            "filterGroups": [
                {"filters": [f.to_json() for f in group]}
                for group in (self.filters, *self.alternatives)
            ],
            "sorts": [{"propertyName": self.sort, "direction": "ASCENDING"}],
            "properties": list(properties),
            "limit": self.limit,
        }
        if self.offset:
            body["after"] = str(self.offset)
        return body


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


def resume_query(prop: str, position: tuple[int, int], end_ms: int, limit: int) -> SearchQuery:
    """Records after (time, id) `position` and before `end`: the next keyset page."""
    at_ms, last_id = position
    same_instant = (
        SearchFilter(prop, "EQ", time_value(at_ms)),
        SearchFilter(OBJECT_ID, "GT", id_value(last_id)),
    )
    later = (
        SearchFilter(prop, "GT", time_value(at_ms)),
        SearchFilter(prop, "LT", time_value(end_ms)),
    )
    return SearchQuery(same_instant, prop, limit, alternatives=(later,))


Keyed = tuple[tuple[int, int], dict[str, Any]]


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
    query = window_query(prop, start_ms, end_ms, limit)
    position: tuple[int, int] | None = None  # what `query` resumes after
    held_from: tuple[int, int] | None = None  # what the held records were read after
    held: list[Keyed] = []
    expected = 0
    while True:
        page = run(query)
        if held and page.total != expected:
            # Ties are not in id order: read the held instant whole, by id, then go on.
            at_ms = held[0][0][0]
            resume = held_from[1] if held_from is not None and held_from[0] == at_ms else 0
            yield from _instant(run, prop, at_ms, resume, after, limit)
            query, position, held = window_query(prop, at_ms + 1, end_ms, limit), None, []
            continue
        yield from _after(held, after)
        keyed = sorted(((record_key(r, prop), r) for r in page.results), key=lambda kr: kr[0])
        if not keyed or len(keyed) >= page.total or len(keyed) < limit:
            yield from _after(keyed, after)
            return
        last = keyed[-1][0][0]
        yield from _after([kr for kr in keyed if kr[0][0] < last], after)
        held = [kr for kr in keyed if kr[0][0] == last]
        held_from, position = position, held[-1][0]
        expected = page.total - len(keyed)
        query = resume_query(prop, position, end_ms, limit)


def _instant(
    run: Runner, prop: str, at_ms: int, last_id: int, after: tuple[int, int] | None, limit: int
) -> Iterator[dict[str, Any]]:
    """One instant's records with id > last_id, paged by id (no cap, no tie question)."""
    if after is not None and after[0] == at_ms:
        last_id = max(last_id, after[1])
    while True:
        page = run(instant_query(prop, at_ms, last_id, limit))
        keyed = sorted(((record_key(r, prop), r) for r in page.results), key=lambda kr: kr[0])
        yield from _after(keyed, after)
        if not keyed or len(keyed) >= page.total or len(keyed) < limit:
            return
        last_id = keyed[-1][0][1]


def _after(keyed: list[Keyed], after: tuple[int, int] | None) -> Iterator[dict[str, Any]]:
    for key, record in keyed:
        if after is None or key > after:
            yield record


def id_quantiles(run: Runner, parts: int, min_total: int = 0) -> tuple[int, list[int]]:
    """The total and the ids splitting all records (by id) into `parts` near-equal runs.

    One search for the total, then one per boundary (plus one hop per 10,000
    records, as a query cannot reach past its 10,000th result). Records newer than
    the search lag are not counted, which only skews the balance.

    Returns:
        (total, boundary ids ascending; empty below `min_total` records).
    """
    first = run(SearchQuery((SearchFilter(OBJECT_ID, "GT", "0"),), OBJECT_ID, limit=1))
    total = first.total
    bounds: list[int] = []
    if total < min_total:
        return total, bounds
    base_id, base_rank = 0, 0
    for rank in (round(k * total / parts) for k in range(1, parts)):
        while rank - base_rank >= SEARCH_RESULT_CAP:
            base_id = _id_at(run, base_id, SEARCH_RESULT_CAP - 1)
            base_rank += SEARCH_RESULT_CAP
        bounds.append(_id_at(run, base_id, rank - base_rank))
    return total, sorted(set(bounds))


def _id_at(run: Runner, after_id: int, offset: int) -> int:
    filters = (SearchFilter(OBJECT_ID, "GT", id_value(after_id)),)
    page = run(SearchQuery(filters, OBJECT_ID, limit=1, offset=offset))
    return int(page.results[0]["id"]) if page.results else after_id
