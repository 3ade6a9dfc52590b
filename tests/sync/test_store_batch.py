"""State store at batch sizes: the number of SQL statements grows by chunks, not by records."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from sync.database import CHUNK
from sync.store import StateStore
from sync.store_types import BaseValue, Link

SIZE = 10_000


class StatementCounter:
    """Counts the statements sent to the database (an executemany counts once)."""

    def __init__(self, store: StateStore) -> None:
        self.count = 0
        event.listen(store.engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def measure(self) -> int:
        """Return the count so far and start again from zero."""
        seen, self.count = self.count, 0
        return seen


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    clock = datetime(2026, 3, 2, tzinfo=UTC)
    opened = StateStore(f"sqlite:///{tmp_path / 'state.db'}", clock=lambda: clock)
    yield opened
    opened.close()


def _chunks(n: int) -> int:
    return -(-n // CHUNK)


def test_ten_thousand_links_in_chunked_statements(store: StateStore) -> None:
    counter = StatementCounter(store)
    people = store.new_entities("person", SIZE)
    assert counter.measure() <= 3  # BEGIN-level statements aside, one executemany
    added = store.add_links(
        [Link(p, "hubspot", "contacts", str(100_000 + n)) for n, p in enumerate(people)]
    )
    assert added == SIZE
    # lookups by record and by stable id, chunked, then one executemany insert
    assert counter.measure() <= 2 * _chunks(SIZE) + 3
    ids = [str(100_000 + n) for n in range(SIZE)]
    found = store.links_for_records("hubspot", "contacts", ids)
    assert counter.measure() <= _chunks(SIZE) + 2
    assert len(found) == SIZE and found[ids[1234]] == people[1234]
    back = store.records_for(people, "hubspot")
    assert counter.measure() <= _chunks(SIZE) + 2
    assert back[people[9999]].record_id == ids[9999]


def test_ten_thousand_bases_round_trip_in_few_statements(store: StateStore) -> None:
    people = store.new_entities("person", SIZE)
    counter = StatementCounter(store)
    store.set_bases([BaseValue(p, "score", n) for n, p in enumerate(people)])
    assert counter.measure() <= 5
    bases = store.bases_for(people)
    assert counter.measure() <= _chunks(SIZE) + 2
    assert bases[people[42]] == {"score": 42}


def test_journal_and_marks_are_batched(store: StateStore) -> None:
    from sync.store_types import PlannedWrite

    run_id = store.start_run("sync")
    writes = [
        PlannedWrite("salesforce", "Lead", f"00Q{n}", "Status", "New", "Working")
        for n in range(SIZE)
    ]
    counter = StatementCounter(store)
    ids = store.journal_planned(run_id, writes)
    planned = counter.measure()
    store.journal_mark(ids, "written")
    marked = counter.measure()
    assert planned <= SIZE // 100  # insertmanyvalues pages, never one statement per row
    assert marked <= _chunks(SIZE) + 2
