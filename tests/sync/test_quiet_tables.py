"""Quiet incremental runs: cursors move past records left out; owners and stages are cached."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from integrations.base import Cursor, Record
from sync.gather import Changes, Gatherer, drop_unchanged
from sync.job import TABLES_TTL, Job, complete_job, refresh_job
from sync.mapping import load_mapping
from sync.store import StateStore
from tests.sync.mapping_support import DEAL_STAGE_IDS, OWNERS, compiled

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CURSOR_AT = NOW - timedelta(hours=1)


class Versions:
    """The store's record versions (the only store method the drop uses)."""

    def __init__(self, versions: dict[str, datetime]) -> None:
        self.versions = versions

    def record_versions(self, system: str, ids: Any, objects: Any = None) -> dict[str, datetime]:
        return {i: self.versions[i] for i in ids if i in self.versions}


def test_records_re_read_unchanged_still_move_the_cursor() -> None:
    # 00Q1 was read by id (as a partner) at this version after the cursor was saved:
    # dropped as unchanged, it must not be read again by every later run.
    later = CURSOR_AT + timedelta(minutes=5)
    changes = Changes(
        records={("salesforce", "Lead"): [Record("Lead", "00Q1", later, {"IsConverted": False})]},
        since={("salesforce", "Lead"): Cursor(CURSOR_AT, "00Q0")},
    )
    store: Any = Versions({"00Q1": later})
    assert drop_unchanged(compiled(), store, changes) == 1
    gatherer = Gatherer(compiled(), {}, store, "person")
    for key in (
        ("salesforce", "Contact"),
        ("salesforce", "PersonAccount"),
        ("hubspot", "contacts"),
    ):
        changes.since[key] = None  # type: ignore[index]
    gatherer.take(changes)
    assert gatherer.result.seen["salesforce"] == {}
    assert gatherer.result.cursors[("salesforce", "Lead")] == Cursor(later, "00Q1")
    assert gatherer.result.passed[("salesforce", "Lead")] == {"00Q1": later}


class Users:
    """Salesforce users (the only read the owner table makes)."""

    def __init__(self, calls: Counter[str]) -> None:
        self.calls = calls

    def read_all(self, object: str, fields: Any) -> Iterator[Record]:
        self.calls["users"] += 1
        for user_id, email in OWNERS["salesforce"].items():
            yield Record("User", user_id, NOW, {"Email": email})


class Owners:
    """HubSpot owners and pipelines, counted; `owners_now` can grow a new owner."""

    def __init__(self, calls: Counter[str]) -> None:
        self.calls = calls
        self.owners_now = dict(OWNERS["hubspot"])

    def owners(self) -> list[dict[str, Any]]:
        self.calls["owners"] += 1
        return [{"id": k, "email": v} for k, v in self.owners_now.items()]

    def deal_stage_ids(self) -> dict[str, str]:
        self.calls["pipelines"] += 1
        return dict(DEAL_STAGE_IDS)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened


def job_at(store: StateStore, now: datetime, calls: Counter[str], hubspot: Any = None) -> Job:
    connectors: Any = {"salesforce": Users(calls), "hubspot": hubspot or Owners(calls)}
    return Job(store, connectors, compiled(), now, load_mapping(None), {})


def test_owners_and_stages_are_read_once_a_day(store: StateStore) -> None:
    calls: Counter[str] = Counter()
    complete_job(job_at(store, NOW, calls))
    assert calls == {"users": 1, "owners": 1, "pipelines": 1}
    cached = job_at(store, NOW + timedelta(hours=3), calls)
    complete_job(cached)
    assert cached.cached and calls == {"users": 1, "owners": 1, "pipelines": 1}
    assert cached.tables["owners"] == OWNERS
    complete_job(job_at(store, NOW + TABLES_TTL, calls))
    assert calls == {"users": 2, "owners": 2, "pipelines": 2}


def test_a_refresh_recompiles_only_when_the_tables_changed(store: StateStore) -> None:
    calls: Counter[str] = Counter()
    complete_job(job_at(store, NOW, calls))
    hubspot = Owners(calls)
    same = job_at(store, NOW, calls, hubspot)
    complete_job(same)
    assert refresh_job(same, []) is False  # nothing unknown: no read
    assert refresh_job(same, ['hubspot:owner_id="103"']) is False  # read, nothing new
    assert calls["owners"] == 2
    again = job_at(store, NOW, calls, hubspot)
    complete_job(again)
    assert refresh_job(again, ['hubspot:owner_id="103"']) is False  # checked already
    assert calls["owners"] == 2
    hubspot.owners_now["103"] = "cy.sales@example.com"
    grown = job_at(store, NOW, calls, hubspot)
    complete_job(grown)
    assert refresh_job(grown, ['hubspot:owner_id="104"']) is True
    assert grown.tables["owners"]["hubspot"]["103"] == "cy.sales@example.com"
    assert refresh_job(grown, ['hubspot:owner_id="105"']) is False  # tables fresh now
    assert calls["owners"] == 3
