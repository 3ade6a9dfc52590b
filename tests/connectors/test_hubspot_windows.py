"""Search paging without HTTP: keyset windows, crowded instants, cursors, safe filter values."""

from __future__ import annotations

import operator
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.hubspot_search import (
    SEARCH_RESULT_CAP,
    Page,
    SearchFilter,
    SearchQuery,
    changed,
    id_quantiles,
    id_value,
    parse_time,
    time_value,
)

PROP = "lastmodifieddate"
OPERATORS = {"EQ": operator.eq, "GT": operator.gt, "GTE": operator.ge, "LT": operator.lt}


class FakeSearch:
    """In-memory search: filter groups, one sort, ties shuffled (or by id), the 10,000 cap."""

    def __init__(
        self,
        rows: list[tuple[int, int]],
        seed: int = 1,
        ties_by_id: bool = False,
        reverse_ties: bool = False,
    ) -> None:
        self.rows = rows
        self.calls: list[SearchQuery] = []
        self.rng = random.Random(seed)
        self.ties_by_id = ties_by_id
        self.reverse_ties = reverse_ties

    @staticmethod
    def _test(f: SearchFilter) -> Callable[[tuple[int, int]], bool]:
        """One filter as a row test (built once per query: the fake must stay fast)."""
        column = 0 if f.property == PROP else 1
        assert f.value is not None
        target, compare = int(f.value), OPERATORS[f.operator]
        return lambda row: compare(row[column], target)

    def __call__(self, query: SearchQuery) -> Page:
        self.calls.append(query)
        assert query.limit <= 200
        groups = [[self._test(f) for f in g] for g in (query.filters, *query.alternatives)]
        hits = [r for r in self.rows if any(all(t(r) for t in g) for g in groups)]
        self.rng.shuffle(hits)  # ties come back in no particular order...
        if self.ties_by_id or self.reverse_ties:
            hits.sort(key=lambda r: r[1], reverse=self.reverse_ties)  # ...or by id
        hits.sort(key=lambda r: r[0] if query.sort == PROP else r[1])
        page = hits[query.offset : query.offset + query.limit]
        results: list[dict[str, Any]] = [
            {"id": str(i), "properties": {PROP: str(ms), "hs_object_id": str(i)}} for ms, i in page
        ]
        return Page(results, len(hits))


def ids(records: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"]) for r in records]


def keys(records: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(int(r["properties"][PROP]), int(r["id"])) for r in records]


@pytest.mark.parametrize("ties_by_id", [True, False])
def test_spread_records_read_once_each_in_order(ties_by_id: bool) -> None:
    rows = [(1000 + i // 3, i + 1) for i in range(1_000)]
    search = FakeSearch(rows, ties_by_id=ties_by_id)
    got = list(changed(search, PROP, 0, 10**6))
    assert keys(got) == sorted(rows)
    pages = -(-len(rows) // 200)
    if ties_by_id:
        assert len(search.calls) == pages  # the ideal: one call per 200
    else:
        assert len(search.calls) <= 2 * pages + 1  # each held instant re-read on its own


@pytest.mark.parametrize("ties_by_id", [True, False])
def test_one_instant_holding_more_than_the_cap_is_read_whole(ties_by_id: bool) -> None:
    crowd = [(5000, i) for i in range(1, SEARCH_RESULT_CAP + 2_501)]
    rows = [(4000, 900_000), *crowd, (6000, 900_001)]
    search = FakeSearch(rows, ties_by_id=ties_by_id)
    got = list(changed(search, PROP, 0, 10**6))
    assert keys(got) == sorted(rows)
    assert all(q.offset == 0 for q in search.calls)  # never paged into the cap
    assert len(search.calls) <= -(-len(rows) // 200) + 3


def test_a_record_skipped_by_an_unlucky_tie_order_is_still_read() -> None:
    # Ties come back largest id first: a page ending inside an instant holds its
    # largest ids, and resuming after the largest would skip all the smaller ones.
    rows = [(10, i) for i in range(1, 201)] + [(11, 1_000), (12, 1_001)]
    search = FakeSearch(rows, reverse_ties=True)
    got = list(changed(search, PROP, 0, 100, limit=150))
    assert keys(got) == sorted(rows)
    assert any(q.sort == "hs_object_id" for q in search.calls)  # the instant was read whole


def test_window_end_is_exclusive_and_start_inclusive() -> None:
    rows = [(99, 1), (100, 2), (150, 3), (199, 4), (200, 5)]
    got = list(changed(FakeSearch(rows), PROP, 100, 200))
    assert ids(got) == [2, 3, 4]


def test_records_at_or_before_the_cursor_are_dropped_with_id_tie_break() -> None:
    rows = [(100, 5), (100, 7), (100, 12), (101, 1)]
    got = list(changed(FakeSearch(rows), PROP, 90, 200, after=(100, 7)))
    # Numeric ids: 12 > 7 although "12" < "7" as text.
    assert ids(got) == [12, 1]


def test_cursor_inside_a_crowded_instant_skips_the_read_part_by_id() -> None:
    rows = [(7, i) for i in range(1, 1_001)]
    search = FakeSearch(rows)
    got = list(changed(search, PROP, 0, 100, after=(7, 600)))
    assert ids(got) == list(range(601, 1_001))


def test_empty_window_costs_one_call() -> None:
    search = FakeSearch([(1, 1)])
    assert list(changed(search, PROP, 10, 20)) == []
    assert len(search.calls) == 1


@pytest.mark.parametrize(
    "hostile", ["O'Brien' OR Name != '", '"}]}, {"filters": []', "1 OR 1=1", "\u0000\n"]
)
def test_hostile_filter_values_stay_one_json_string(hostile: str) -> None:
    query = SearchQuery((SearchFilter("email", "EQ", hostile),), "email")
    body = query.body(["email"])
    assert body["filterGroups"] == [
        {"filters": [{"propertyName": "email", "operator": "EQ", "value": hostile}]}
    ]


@pytest.mark.parametrize("bad", ["1 OR 1=1", "12; DROP", "-1", "1e3", True, ""])
def test_typed_values_are_validated(bad: object) -> None:
    with pytest.raises(ValueError):
        id_value(bad)  # type: ignore[arg-type]


def test_time_values_must_be_integer_ms() -> None:
    assert time_value(1_700_000_000_000) == "1700000000000"
    with pytest.raises(ValueError):
        time_value("1700000000000 OR 1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        time_value(1.5)  # type: ignore[arg-type]


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(ValueError):
        SearchFilter("email", "EQ OR 1", "x")


def test_parse_time_accepts_iso_and_ms() -> None:
    ms = int(datetime(2026, 3, 10, 18, tzinfo=UTC).timestamp() * 1000)
    assert parse_time("2026-03-10T18:00:00.000Z") == ms
    assert parse_time(str(ms)) == ms


def test_id_quantiles_split_evenly_and_hop_past_the_cap() -> None:
    ids = list(range(1, 12_001)) + list(range(5_000_000, 5_013_000))  # gappy ids
    search = FakeSearch([(0, i) for i in ids])
    total, bounds = id_quantiles(search, 4)
    assert total == len(ids)
    ranks = [ids.index(b) for b in bounds]
    assert ranks == [round(k * len(ids) / 4) for k in (1, 2, 3)]
    assert all(q.offset + q.limit <= SEARCH_RESULT_CAP for q in search.calls)
    assert len(search.calls) == 1 + 3 + 1


def test_id_quantiles_on_a_boundary_that_is_exactly_the_cap() -> None:
    ids = list(range(1, 20_001))
    total, bounds = id_quantiles(FakeSearch([(0, i) for i in ids], ties_by_id=True), 4)
    assert total == 20_000
    assert bounds == [5_001, 10_001, 15_001]


def test_id_quantiles_skip_small_objects() -> None:
    search = FakeSearch([(0, i) for i in range(1, 50)])
    assert id_quantiles(search, 4, min_total=100) == (49, [])
    assert len(search.calls) == 1


def test_a_query_cannot_reach_past_the_cap() -> None:
    with pytest.raises(ValueError):
        SearchQuery((), "hs_object_id", limit=200, offset=9_900)
