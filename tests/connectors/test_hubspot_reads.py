"""HubSpot reads through the real SDK against the sandbox: search cap, lag, lists, ids, sweeps."""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from typing import Any

import pytest

from integrations.base import Cursor, WriteRow
from tests.connectors.hubspot_support import (
    FAST_SEARCH,
    admin,
    bulk,
    calls,
    connector,
    record_statuses,
)


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=20, hubspot_search_per_second=FAST_SEARCH)


def test_25000_contacts_sharing_one_modified_time_are_all_read(sb: Any) -> None:
    first = bulk(sb, "contacts", 25_000, age_seconds=3600, email="crowd{n}@example.com")
    hs = connector(sb)
    records = list(hs.changed_since("contacts", None, ["email"]))
    crowd = [r for r in records if int(r.id) >= first]
    assert len(crowd) == 25_000
    assert len({r.id for r in crowd}) == 25_000
    assert len({r.modified for r in crowd}) == 1
    # Oldest first, ties in id order, so a cursor taken anywhere is exact.
    keys = [(r.modified, int(r.id)) for r in records]
    assert keys == sorted(keys)
    # 200 per call, never past the 10,000 cap (the sandbox answers 400 there).
    assert calls(sb, "objects.search") <= -(-len(records) // 200) + 1


def test_a_cursor_inside_the_crowd_resumes_exactly(sb: Any) -> None:
    first = bulk(sb, "contacts", 1_000, age_seconds=3600, email="c{n}@example.com")
    hs = connector(sb)
    everything = list(hs.changed_since("contacts", None, ["email"]))
    middle = next(r for r in everything if int(r.id) == first + 400)
    rest = list(hs.changed_since("contacts", Cursor(middle.modified, middle.id), ["email"]))
    assert [r.id for r in rest] == [r.id for r in everything[everything.index(middle) + 1 :]]


def test_records_written_inside_the_search_lag_are_read_by_the_next_run(sb: Any) -> None:
    hs = connector(sb)
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)  # the seed is all searchable
    before = list(hs.changed_since("contacts", None, ["email"]))
    cursor = Cursor(before[-1].modified, before[-1].id)
    written = hs.create("contacts", [WriteRow({"email": f"lag{i}@example.com"}) for i in range(3)])
    assert all(r.ok for r in written)
    # This run's window ends at now minus the lag: the fresh records are not in it yet.
    assert list(hs.changed_since("contacts", cursor, ["email"])) == []
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
    later = list(hs.changed_since("contacts", cursor, ["email"]))
    assert sorted(r.id for r in later) == sorted(r.id for r in written if r.id)


def test_only_requested_fields_are_returned(sb: Any) -> None:
    hs = connector(sb)
    record = next(hs.read_all("contacts", ["email"]))
    assert set(record.fields) == {"email"}
    assert record.modified.tzinfo is not None


def test_read_all_pages_100_per_call(sb: Any) -> None:
    bulk(sb, "companies", 450, age_seconds=60, name="Company {n}")
    hs = connector(sb)
    total = int(sb.hubspot.describe()["companies"])
    before = calls(sb, "objects.list")
    records = list(hs.read_all("companies", ["name"]))
    assert len(records) == total == len({r.id for r in records})
    assert calls(sb, "objects.list") - before == -(-total // 100)


def test_read_all_is_lazy(sb: Any) -> None:
    bulk(sb, "contacts", 300, age_seconds=60, email="lazy{n}@example.com")
    hs = connector(sb)
    before = calls(sb)
    reader = hs.read_all("contacts", ["email"])
    assert calls(sb) == before
    next(reader)
    assert calls(sb) == before + 1


def test_read_by_ids_in_batches_leaves_missing_and_hostile_ids_out(sb: Any) -> None:
    first = bulk(sb, "contacts", 250, age_seconds=60, email="ids{n}@example.com")
    hs = connector(sb)
    ids = [str(first + n) for n in range(250)] + ["999999999", "1 OR 1=1"]
    before = calls(sb, "objects.batch.read")
    records = hs.read_by_ids("contacts", ids, ["email"])
    assert [r.id for r in records] == ids[:250]
    assert records[0].fields == {"email": "ids0@example.com"}
    assert calls(sb, "objects.batch.read") - before == 3


def test_archived_records_come_out_of_the_deletion_sweep(sb: Any) -> None:
    hs = connector(sb)
    made = hs.create("contacts", [WriteRow({"email": f"gone{i}@example.com"}) for i in range(3)])
    gone = [r.id for r in made[:2] if r.id]
    api = hs.transport.sdk.crm.objects.batch_api
    api.archive("contacts", {"inputs": [{"id": i} for i in gone]})
    swept = list(hs.deletions("contacts", None))
    assert {d.id for d in swept} >= set(gone)
    assert all(d.when is not None for d in swept if d.id in gone)
    later = max(d.when for d in swept if d.when) + timedelta(seconds=1)
    assert list(hs.deletions("contacts", later)) == []


@pytest.mark.parametrize(
    "hostile", ["O'Brien' OR email != '", '"}]}], "filterGroups": [{"filters": []}]}', "%"]
)
def test_hostile_strings_in_filters_are_inert(sb: Any, hostile: str) -> None:
    hs = connector(sb)
    assert hs.find_by("contacts", "email", hostile, ["email"]) == []
    made = hs.create("contacts", [WriteRow({"email": "x@example.com", "lastname": hostile})])
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
    found = hs.find_by("contacts", "lastname", hostile, ["lastname"])
    assert [r.id for r in found] == [made[0].id]
    assert found[0].fields["lastname"] == hostile


def test_admin_clock_and_portal_identity(sb: Any) -> None:
    hs = connector(sb)
    assert hs.identity() == str(sb.options.portal_id)
    assert admin(sb, "/clock", {"advance_seconds": 0})["now"]


def test_a_large_read_all_runs_id_ranges_side_by_side_and_misses_nothing(sb: Any) -> None:
    bulk(sb, "contacts", 2_500, age_seconds=3600, email="p{n}@example.com")
    made = connector(sb).create(
        "contacts", [WriteRow({"email": f"new{i}@example.com"}) for i in range(150)]
    )
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
    hs = connector(sb, concurrency=4)
    total = int(sb.hubspot.describe()["contacts"])
    records = list(hs.read_all("contacts", ["email"]))
    assert len(records) == total == len({r.id for r in records})
    assert {r.id for r in made} <= {r.id for r in records}
    # One page per 100, plus at most one short page where each range ends.
    assert -(-total // 100) <= calls(sb, "objects.list") <= -(-total // 100) + 3
    assert calls(sb, "objects.search") == 4


def test_stopping_a_parallel_read_early_stops_its_streams(sb: Any) -> None:
    bulk(sb, "contacts", 3_000, age_seconds=3600, email="s{n}@example.com")
    hs = connector(sb, concurrency=4)
    reader = hs.read_all("contacts", ["email"])
    assert isinstance(reader, Generator)
    taken = [next(reader) for _ in range(250)]
    reader.close()
    settled = calls(sb, "objects.list")
    assert len({r.id for r in taken}) == 250
    assert settled < 30
    assert calls(sb, "objects.list") == settled


def test_find_looks_up_100_emails_a_search(sb: Any) -> None:
    first = bulk(sb, "contacts", 250, age_seconds=3600, email="Find{n}@Example.com")
    hs = connector(sb)
    wanted = [f"find{n}@example.com" for n in range(250)] + ["nobody@example.com", "' OR 1=1"]
    found = hs.find("contacts", "email", wanted, ["email"])
    assert sorted(int(r.id) for r in found) == list(range(first, first + 250))
    assert calls(sb, "objects.search") == 3


def test_find_few_pages_by_id_or_stops_after_one_search_when_too_many_match(sb: Any) -> None:
    first = bulk(sb, "contacts", 450, age_seconds=3600, email="few{n}@example.com")
    hs = connector(sb)
    hs.update("contacts", [WriteRow({"jobtitle": "Few"}, id=str(first + n)) for n in range(450)])
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
    sb.hubspot.counter.reset()
    found = hs.find_few("contacts", "jobtitle", ["Few", "Nobody"], ["jobtitle"], at_most=450)
    assert found is not None
    assert sorted(int(r.id) for r in found) == list(range(first, first + 450))
    assert calls(sb, "objects.search") == 3  # 200 a page
    sb.hubspot.counter.reset()
    assert hs.find_few("contacts", "jobtitle", ["Few"], ["jobtitle"], at_most=449) is None
    assert calls(sb, "objects.search") == 1


def test_records_touched_while_paging_are_not_lost(sb: Any) -> None:
    bulk(sb, "contacts", 3_000, age_seconds=3600, email="touch{n}@example.com")
    hs = connector(sb)
    sb.hubspot.faults.configure({"analytics_touch_per_call": 25})
    first = list(hs.changed_since("contacts", None, ["email"]))
    sb.hubspot.faults.configure({"analytics_touch_per_call": 0})
    read = {r.id for r in first}
    # Every contact was read, or was touched after this run's window closed.
    horizon = max(r.modified for r in first)
    moved = {
        str(row[0])
        for row in sb.hubspot.store.query(
            "SELECT id FROM objects WHERE type='contacts' AND modified_ms > ?",
            (int(horizon.timestamp() * 1000),),
        )
    }
    everyone = {
        str(row[0])
        for row in sb.hubspot.store.query(
            "SELECT id FROM objects WHERE type='contacts' AND archived=0"
        )
    }
    assert everyone == read | moved and moved
    # The next run picks the touched ones up.
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
    last = first[-1]
    second = {r.id for r in hs.changed_since("contacts", Cursor(last.modified, last.id), ["email"])}
    assert moved <= second


def test_searches_are_paced_under_the_portals_rate_and_never_answered_429(
    make_sandbox: Any,
) -> None:
    """The sandbox enforces 5 searches a second, as HubSpot does; the client keeps under it."""
    sb = make_sandbox(size=0)
    assert sb.options.rate_limits and sb.options.hubspot_search_per_second == 5
    first = bulk(sb, "contacts", 800, age_seconds=3600, email="pace{n}@example.com")
    hs = connector(sb)  # the sandbox's own limits, as a portal's tier is configured
    statuses = record_statuses(sb)
    wanted = [f"pace{n}@example.com" for n in range(800)]
    found = hs.find("contacts", "email", wanted, ["email"])
    assert sorted(int(r.id) for r in found) == list(range(first, first + 800))
    assert len(statuses) == 8 and set(statuses) == {200}
