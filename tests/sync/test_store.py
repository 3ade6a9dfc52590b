"""State store: file permissions, binding, entities, links, bases and cursors."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from integrations.base import Cursor
from sync.database import SQLITE_BUSY_TIMEOUT_MS
from sync.store import StateStore
from sync.store_types import BaseValue, Link, LinkConflict, StoreBoundElsewhere

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    opened = StateStore(state_url, clock=lambda: NOW)
    yield opened
    opened.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_url_creates_owner_only_folder_and_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with StateStore() as store:
            store.new_entity("person")  # a write, so the WAL files exist
            files = sorted(p.name for p in (tmp_path / ".crmops").iterdir())
            modes = {p.name: _mode(p) for p in (tmp_path / ".crmops").iterdir()}
    finally:
        os.umask(old)
    assert _mode(tmp_path / ".crmops") == 0o700
    assert "state.db" in files and "state.db-wal" in files
    assert set(modes.values()) == {0o600}


def test_existing_world_readable_file_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    with StateStore(f"sqlite:///{path}"):
        pass
    assert _mode(path) == 0o600


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS


def test_bind_first_time_then_same_ids_pass(store: StateStore) -> None:
    assert store.binding() == (None, None)
    store.bind("00D000000000001", "12345")
    store.bind("00D000000000001", "12345")
    assert store.binding() == ("00D000000000001", "12345")


def test_bind_refuses_another_org_naming_both(store: StateStore) -> None:
    store.bind("00DAAA", "111")
    with pytest.raises(StoreBoundElsewhere) as caught:
        store.bind("00DBBB", "111")
    assert "00DAAA" in str(caught.value) and "00DBBB" in str(caught.value)
    assert caught.value.what == "Salesforce org"


def test_bind_refuses_another_portal(store: StateStore) -> None:
    store.bind("00DAAA", "111")
    with pytest.raises(StoreBoundElsewhere, match=r"HubSpot portal 111.*222"):
        store.bind("00DAAA", "222")


def test_bind_one_side_later(store: StateStore) -> None:
    store.bind("00DAAA", None)
    store.bind("00DAAA", "999")
    assert store.binding() == ("00DAAA", "999")


def test_binding_survives_reopen(state_url: str) -> None:
    url = state_url
    with StateStore(url) as first:
        first.bind("00DAAA", "111")
    with StateStore(url) as again, pytest.raises(StoreBoundElsewhere):
        again.bind("00DAAA", "112")


def test_new_entities_are_unique_hex_of_their_kind(store: StateStore) -> None:
    ids = [*store.new_entities("company", 3), store.new_entity("person")]
    assert len(set(ids)) == 4 and all(len(i) == 32 for i in ids)
    assert store.entity_kinds([*ids, "missing"]) == {
        ids[0]: "company",
        ids[1]: "company",
        ids[2]: "company",
        ids[3]: "person",
    }


def test_unknown_entity_kind_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="unknown entity kind"):
        store.new_entity("lead")


def test_link_and_look_up_both_ways(store: StateStore) -> None:
    person = store.new_entity("person")
    store.link(person, "salesforce", "Lead", "00Q1")
    store.link(person, "hubspot", "contacts", "501")
    store.link(person, "hubspot", "contacts", "501")  # again: no-op
    assert store.links_for_records("salesforce", "Lead", ["00Q1", "00Q2"]) == {"00Q1": person}
    assert store.links_for_records("salesforce", "Contact", ["00Q1"]) == {}
    assert store.records_for([person], "hubspot") == {
        person: Link(person, "hubspot", "contacts", "501")
    }


def test_a_record_cannot_belong_to_two_entities(store: StateStore) -> None:
    first, second = store.new_entities("person", 2)
    store.link(first, "hubspot", "contacts", "501")
    with pytest.raises(LinkConflict, match="already linked"):
        store.link(second, "hubspot", "contacts", "501")


def test_an_entity_has_one_record_per_system(store: StateStore) -> None:
    person = store.new_entity("person")
    store.link(person, "salesforce", "Lead", "00Q1")
    with pytest.raises(LinkConflict, match="move the link"):
        store.link(person, "salesforce", "Contact", "0031")


def test_conflicting_batch_writes_nothing(store: StateStore) -> None:
    a, b = store.new_entities("person", 2)
    with pytest.raises(LinkConflict):
        store.add_links([Link(a, "hubspot", "contacts", "1"), Link(b, "hubspot", "contacts", "1")])
    assert store.links_for_records("hubspot", "contacts", ["1"]) == {}


def test_link_to_unknown_entity_is_refused(store: StateStore) -> None:
    with pytest.raises(LinkConflict):
        store.link("f" * 32, "hubspot", "contacts", "1")


def test_unlink_returns_the_stable_id(store: StateStore) -> None:
    person = store.new_entity("person")
    store.link(person, "hubspot", "contacts", "7")
    assert store.unlink("hubspot", "contacts", "7") == person
    assert store.unlink("hubspot", "contacts", "7") is None
    assert store.records_for([person], "hubspot") == {}


def test_lead_conversion_moves_the_link(store: StateStore) -> None:
    person = store.new_entity("person")
    store.link(person, "salesforce", "Lead", "00Q1")
    assert store.move_link("salesforce", "Lead", "00Q1", "Contact", "0031") == person
    assert store.links_for_records("salesforce", "Lead", ["00Q1"]) == {}
    assert store.links_for_records("salesforce", "Contact", ["0031"]) == {"0031": person}


def test_merge_into_a_linked_record_drops_the_loser(store: StateStore) -> None:
    loser, winner = store.new_entities("person", 2)
    store.link(loser, "hubspot", "contacts", "1")
    store.link(winner, "hubspot", "contacts", "2")
    assert store.move_link("hubspot", "contacts", "1", "contacts", "2") == winner
    assert store.links_for_records("hubspot", "contacts", ["1", "2"]) == {"2": winner}


def test_move_of_an_unlinked_record_does_nothing(store: StateStore) -> None:
    assert store.move_link("hubspot", "contacts", "1", "contacts", "2") is None
    assert store.links_of("hubspot", "contacts") == []


def test_bases_keep_json_types_and_none(store: StateStore) -> None:
    person = store.new_entity("person")
    values = {"email": "a@b.example", "employees": 12, "score": 4.5, "opted_out": False}
    values |= {"phone": None, "tags": ["a", "b"]}
    store.set_bases([BaseValue(person, k, v) for k, v in values.items()])
    assert store.bases_for([person, "nobody"]) == {person: values}


def test_set_bases_replaces_and_last_row_wins(store: StateStore) -> None:
    person = store.new_entity("person")
    store.set_bases([BaseValue(person, "stage", "new")])
    store.set_bases([BaseValue(person, "stage", "working"), BaseValue(person, "stage", "won")])
    assert store.bases_for([person]) == {person: {"stage": "won"}}


def test_drop_bases_by_field(store: StateStore) -> None:
    person = store.new_entity("person")
    store.set_bases([BaseValue(person, "a", 1), BaseValue(person, "b", 2)])
    assert store.drop_bases([person], ["a"]) == 1
    assert store.bases_for([person]) == {person: {"b": 2}}


def test_cursor_round_trip_keeps_time_zone(store: StateStore) -> None:
    assert store.cursor("hubspot", "contacts") is None
    local = datetime(2026, 3, 1, 12, 0, tzinfo=UTC) + timedelta(microseconds=7)
    store.save_cursor("hubspot", "contacts", Cursor(local, "901"))
    store.save_cursor("hubspot", "contacts", Cursor(local + timedelta(seconds=1), "902"))
    assert store.cursor("hubspot", "contacts") == Cursor(local + timedelta(seconds=1), "902")
    assert store.cursor("salesforce", "Lead") is None
    assert store.clear_cursors("hubspot") == 1


def test_naive_datetimes_are_refused(store: StateStore) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        store.save_cursor("hubspot", "contacts", Cursor(datetime(2026, 1, 1), "1"))


def test_links_for_ids_across_objects(store: StateStore) -> None:
    lead, contact, company = store.new_entities("person", 2) + store.new_entities("company", 1)
    store.link(lead, "salesforce", "Lead", "00Q1")
    store.link(contact, "salesforce", "Contact", "0031")
    store.link(contact, "hubspot", "contacts", "101")
    store.link(company, "hubspot", "companies", "101")
    found = store.links_for_ids("salesforce", ["00Q1", "0031", "0019"])
    assert found == {
        "00Q1": Link(lead, "salesforce", "Lead", "00Q1"),
        "0031": Link(contact, "salesforce", "Contact", "0031"),
    }
    assert store.links_for_ids("hubspot", ["101"], objects=["companies"]) == {
        "101": Link(company, "hubspot", "companies", "101")
    }


def test_base_values_carry_their_sync_time(store: StateStore) -> None:
    person = store.new_entity("person")
    earlier = NOW - timedelta(days=1)
    store.set_bases([BaseValue(person, "email", "a@b.example", earlier), BaseValue(person, "x", 1)])
    assert store.base_values([person]) == [
        BaseValue(person, "email", "a@b.example", earlier),
        BaseValue(person, "x", 1, NOW),
    ]


def test_links_of_one_object_in_record_order(store: StateStore) -> None:
    a, b = store.new_entities("company", 2)
    store.add_links([Link(b, "hubspot", "companies", "9"), Link(a, "hubspot", "companies", "10")])
    assert [link.stable_id for link in store.links_of("hubspot", "companies")] == [a, b]


def test_sqlite_path_only_for_files(tmp_path: Path) -> None:
    from sync.database import sqlite_path

    assert sqlite_path("sqlite:///.crmops/state.db") == Path(".crmops/state.db")
    assert sqlite_path("sqlite://") is None
    assert sqlite_path("postgresql+psycopg://crm:pw@db/state") is None
    with StateStore(f"sqlite:///{tmp_path / 'x.db'}") as store:
        assert store.url == f"sqlite:///{tmp_path / 'x.db'}"


def test_record_versions_are_kept_per_link_and_cleared_when_the_link_moves(
    store: StateStore,
) -> None:
    person = store.new_entity("person")
    store.link(person, "salesforce", "Lead", "00Q1")
    store.link(person, "hubspot", "contacts", "51")
    other = store.new_entity("company")
    store.link(other, "hubspot", "companies", "51")  # HubSpot ids repeat across objects
    seen = NOW.replace(microsecond=123000)
    store.set_record_versions("salesforce", "Lead", {"00Q1": seen, "unlinked": seen})
    store.set_record_versions("hubspot", "contacts", {"51": seen})
    assert store.record_versions("salesforce", ["00Q1", "unlinked"]) == {"00Q1": seen}
    assert store.record_versions("hubspot", ["51"], ["companies"]) == {}
    assert store.record_versions("hubspot", ["51"], ["contacts"]) == {"51": seen}
    store.move_link("salesforce", "Lead", "00Q1", "Contact", "0031")
    assert store.record_versions("salesforce", ["0031"]) == {}
