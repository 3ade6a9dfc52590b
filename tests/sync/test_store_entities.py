"""Merging two one-sided stable ids of one person: links, bases, task keys, aliases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from sync import schema as t
from sync.store import StateStore
from sync.store_entities import rekeyed
from sync.store_types import BaseValue, Link, LinkConflict, TaskIntent

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
STEP = "2026-03-02T09:30Z"


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    opened = StateStore(state_url, clock=lambda: NOW)
    yield opened
    opened.close()


def _pair(store: StateStore) -> tuple[str, str]:
    """Entity A on a Salesforce lead, entity B on a HubSpot contact (one person)."""
    a, b = store.new_entities("person", 2)
    store.add_links(
        [Link(a, "salesforce", "Lead", "00Q000000000001AAA"), Link(b, "hubspot", "contact", "51")]
    )
    return a, b


def _task(store: StateStore, key: str, system: str, stable: str, task_id: str) -> None:
    intent = TaskIntent(key, system, key.split(":")[0], stable, "r", outreach=True)
    store.record_task_intents(None, [intent])
    store.mark_tasks_created({key: task_id})


def test_links_move_to_the_kept_id_and_the_dropped_entity_goes(store: StateStore) -> None:
    a, b = _pair(store)
    store.merge_entities(a, b)
    assert store.records_for([a], "hubspot")[a].record_id == "51"
    assert store.records_for([a], "salesforce")[a].record_id == "00Q000000000001AAA"
    assert store.entity_kinds([a, b]) == {a: "person"}


def test_bases_merge_with_the_kept_values_winning(store: StateStore) -> None:
    a, b = _pair(store)
    store.set_bases([BaseValue(a, "phone", "1"), BaseValue(b, "phone", "2")])
    store.set_bases([BaseValue(b, "title", "CEO")])
    store.merge_entities(a, b)
    assert store.bases_for([a, b]) == {a: {"phone": "1", "title": "CEO"}}


def test_task_keys_take_the_kept_id_in_their_key_text(store: StateStore) -> None:
    a, b = _pair(store)
    _task(store, f"first_response:{b}:{STEP}", "hubspot", b, "900")
    store.merge_entities(a, b)
    known = store.task_keys_known([f"first_response:{a}:{STEP}", f"first_response:{b}:{STEP}"])
    assert list(known) == [f"first_response:{a}:{STEP}"]
    task = known[f"first_response:{a}:{STEP}"]
    assert (task.stable_id, task.task_id, task.status) == (a, "900", "created")
    assert [k.key for k in store.open_outreach_tasks_for(a)] == [f"first_response:{a}:{STEP}"]


def test_a_task_both_sides_made_keeps_both_rows_under_the_kept_id(store: StateStore) -> None:
    a, b = _pair(store)
    _task(store, f"first_response:{a}:{STEP}", "salesforce", a, "00T1")
    _task(store, f"first_response:{b}:{STEP}", "hubspot", b, "900")
    store.merge_entities(a, b)
    known = store.task_keys_known([f"first_response:{a}:{STEP}", f"first_response:{b}:{STEP}"])
    assert known[f"first_response:{a}:{STEP}"].task_id == "00T1"
    assert known[f"first_response:{b}:{STEP}"].task_id == "900"
    assert {k.stable_id for k in known.values()} == {a}


def test_both_linked_in_one_system_is_refused_and_nothing_changes(store: StateStore) -> None:
    a, b = _pair(store)
    store.add_links([Link(b, "salesforce", "Contact", "003000000000001AAA")])
    store.set_bases([BaseValue(b, "phone", "2")])
    with pytest.raises(LinkConflict, match="both linked in salesforce"):
        store.merge_entities(a, b)
    assert store.entity_kinds([a, b]) == {a: "person", b: "person"}
    assert store.records_for([b], "hubspot")[b].record_id == "51"
    assert store.bases_for([b]) == {b: {"phone": "2"}}


def test_unknown_ids_kinds_and_self_merges_are_refused(store: StateStore) -> None:
    a, b = _pair(store)
    company = store.new_entity("company")
    with pytest.raises(ValueError, match="into itself"):
        store.merge_entities(a, a)
    with pytest.raises(ValueError, match="unknown stable id"):
        store.merge_entities(a, "0" * 32)
    with pytest.raises(ValueError, match="cannot merge a company"):
        store.merge_entities(a, company)
    assert store.resolve_entities([a, b, company]) == {}


def test_aliases_resolve_old_ids_without_chains(store: StateStore) -> None:
    a, b = _pair(store)
    c = store.new_entity("person")
    store.merge_entities(b, c)
    store.merge_entities(a, b)
    assert store.resolve_entities([a, b, c]) == {b: a, c: a}


def test_tombstones_journal_and_review_details_follow(store: StateStore) -> None:
    a, b = _pair(store)
    store.add_tombstone("hubspot", "contact", "77", "erased", b)
    store.add_review("deleted", "hubspot", "contact", "77", {"stable_id": b, "how": "erased"})
    run = store.start_run("sync")
    row = {"run_id": run, "seq": 1, "stable_id": b, "system": "hubspot", "object": "contact"}
    row |= {"record_id": "51", "field": "phone", "state": "written"}
    with store.engine.begin() as conn:
        conn.execute(t.journal.insert().values(**row, created=NOW, updated=NOW))
    store.merge_entities(a, b)
    assert store.tombstoned_entities([a, b]) == {a}
    assert store.reviews()[0].detail == {"stable_id": a, "how": "erased"}
    with store.engine.connect() as conn:
        left = conn.execute(select(func.count()).where(t.journal.c.stable_id == b)).scalar()
    assert left == 0


def test_rekeyed_rewrites_only_the_record_part() -> None:
    assert rekeyed("cadence:bb:day7", "bb", "aa") == "cadence:aa:day7"
    assert rekeyed("appointment_confirm:bb:2026-11-04T15:00Z", "bb", "aa") == (
        "appointment_confirm:aa:2026-11-04T15:00Z"
    )
    assert rekeyed("cadence:bbb:day7", "bb", "aa") == "cadence:bbb:day7"
    assert rekeyed("hot_lead:cc:bb", "bb", "aa") == "hot_lead:cc:bb"
