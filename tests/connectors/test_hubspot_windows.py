"""Search paging without HTTP: keyset windows, crowded instants, cursors, safe filter values."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.hubspot_search import (
    SEARCH_RESULT_CAP,
    Page,
    SearchFilter,
    SearchQuery,
    changed,
    id_value,
    parse_time,
    time_value,
)

PROP = "lastmodifieddate"


class FakeSearch:
    """In-memory search: applies the filters, one sort with shuffled ties, the 10,000 cap."""

    def __init__(self, rows: list[tuple[int, int]], seed: int = 1) -> None:
        self.rows = rows
        self.calls: list[SearchQuery] = []
        self.rng = random.Random(seed)

    def _match(self, row: tuple[int, int], f: SearchFilter) -> bool:
        value = row[0] if f.property == PROP else row[1]
        assert f.value is not None
        target = int(f.value)
        return {
            "EQ": value == target,
            "GT": value > target,
            "GTE": value >= target,
            "LT": value < target,
        }[f.operator]

    def __call__(self, query: SearchQuery) -> Page:
        self.calls.append(query)
        assert query.limit <= 200
        hits = [r for r in self.rows if all(self._match(r, f) for f in query.filters)]
        self.rng.shuffle(hits)  # ties come back in no particular order
        hits.sort(key=lambda r: r[0] if query.sort == PROP else r[1])
        page = hits[: query.limit]
        results: list[dict[str, Any]] = [
            {"id": str(i), "properties": {PROP: str(ms), "hs_object_id": str(i)}} for ms, i in page
        ]
        return Page(results, len(hits))


def ids(records: list[dict[str, Any]]) -> list[int]:
    return [int(r["id"]) for r in records]


def keys(records: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(int(r["properties"][PROP]), int(r["id"])) for r in records]


def test_spread_records_read_once_each_in_order_near_one_call_per_page() -> None:
    rows = [(1000 + i // 3, i + 1) for i in range(1_000)]
    search = FakeSearch(rows)
    got = list(changed(search, PROP, 0, 10**6))
    assert keys(got) == sorted(rows)
    # Each page re-reads at most the few records of its last instant.
    assert len(search.calls) <= 6


def test_one_instant_holding_more_than_the_cap_is_paged_by_id() -> None:
    crowd = [(5000, i) for i in range(1, SEARCH_RESULT_CAP + 2_501)]
    rows = [(4000, 900_000), *crowd, (6000, 900_001)]
    search = FakeSearch(rows)
    got = list(changed(search, PROP, 0, 10**6))
    assert keys(got) == sorted(rows)
    assert len(set(ids(got))) == len(rows)
    instant_calls = [q for q in search.calls if q.sort == "hs_object_id"]
    assert len(instant_calls) == -(-len(crowd) // 200)


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
