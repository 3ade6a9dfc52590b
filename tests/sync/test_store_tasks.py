"""State store: task keys, create intents, tombstones and the review queue."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sync.store import StateStore
from sync.store_reviews import NewReview
from sync.store_types import TaskIntent

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def store(state_url: str) -> Iterator[StateStore]:
    opened = StateStore(state_url, clock=lambda: NOW)
    yield opened
    opened.close()


def _task(key: str, stable_id: str = "p" * 32, outreach: bool = True) -> TaskIntent:
    return TaskIntent(key, "salesforce", key.split(":")[0], stable_id, "00Q1", outreach)


def test_task_intents_are_recorded_once(store: StateStore) -> None:
    run_id = store.start_run("rules")
    keys = ["cadence:00Q1:day3", "hot_lead:00Q1:once"]
    assert store.record_task_intents(run_id, [_task(k) for k in keys]) == keys
    assert store.record_task_intents(run_id, [_task(keys[0]), _task("x:1:1")]) == ["x:1:1"]
    known = store.task_keys_known([*keys, "unknown"])
    assert set(known) == set(keys)
    assert known[keys[0]].status == "intent" and known[keys[0]].task_id is None
    assert known[keys[0]].run_id == run_id and known[keys[0]].outreach


def test_created_tasks_carry_their_ids(store: StateStore) -> None:
    store.record_task_intents(None, [_task("cadence:00Q1:day3")])
    store.mark_tasks_created({"cadence:00Q1:day3": "00T1"})
    known = store.task_keys_known(["cadence:00Q1:day3"])["cadence:00Q1:day3"]
    assert (known.status, known.task_id) == ("created", "00T1")


def test_open_outreach_tasks_exclude_internal_and_closed(store: StateStore) -> None:
    person = "p" * 32
    store.record_task_intents(
        None,
        [
            _task("cadence:00Q1:day3"),
            _task("cadence:00Q1:day7"),
            _task("escalate_manager:00Q1:once", outreach=False),
            _task("cadence:00Q9:day3", stable_id="q" * 32),
        ],
    )
    store.mark_tasks_created(
        {
            "cadence:00Q1:day3": "00T1",
            "cadence:00Q1:day7": "00T2",
            "escalate_manager:00Q1:once": "00T3",
            "cadence:00Q9:day3": "00T4",
        }
    )
    assert store.mark_tasks_status(["cadence:00Q1:day7"], "deferred") == 1
    assert [t.task_id for t in store.open_outreach_tasks_for(person)] == ["00T1"]
    assert store.open_outreach_tasks_for("z" * 32) == []


def test_unknown_task_status_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="task status"):
        store.mark_tasks_status(["k"], "done")


def test_tasks_of_run(store: StateStore) -> None:
    first, second = store.start_run("rules"), store.start_run("rules")
    store.record_task_intents(first, [_task("a:1:1")])
    store.record_task_intents(second, [_task("b:1:1")])
    assert [t.key for t in store.tasks_of_run(second)] == ["b:1:1"]


def test_create_intent_is_recorded_then_resolved(store: StateStore) -> None:
    run_id = store.start_run("sync")
    first = store.intent("hubspot", "deals", "crmops:deal:1", run_id)
    assert first.record_id is None and first.run_id == run_id
    again = store.intent("hubspot", "deals", "crmops:deal:1", run_id + 1)
    assert again == first  # the earlier intent, not a new one
    store.resolve_intent("hubspot", "deals", "crmops:deal:1", "9001")
    done = store.intent("hubspot", "deals", "crmops:deal:1")
    assert (done.record_id, done.resolved) == ("9001", NOW)


def test_intents_in_batch_keep_objects_apart(store: StateStore) -> None:
    store.intents("hubspot", "deals", ["k1", "k2"])
    store.resolve_intents("hubspot", "deals", {"k1": "1"})
    other = store.intents("hubspot", "companies", ["k1"])
    assert other["k1"].record_id is None
    assert store.intents("hubspot", "deals", ["k1", "k2"])["k1"].record_id == "1"


def test_tombstones(store: StateStore) -> None:
    person = "p" * 32
    store.add_tombstone("hubspot", "contacts", "501", "gdpr_delete", stable_id=person)
    store.add_tombstone("hubspot", "contacts", "501", "gdpr_delete", stable_id=person)
    assert store.is_tombstoned("hubspot", ["501", "502"]) == {"501"}
    assert store.is_tombstoned("hubspot", ["501"], object="companies") == set()
    assert store.is_tombstoned("salesforce", ["501"]) == set()
    assert store.tombstoned_entities([person, "q" * 32]) == {person}
    (stone,) = store.tombstones()
    assert (stone.record_id, stone.reason, stone.created) == ("501", "gdpr_delete", NOW)


def test_review_items_are_not_duplicated_while_open(store: StateStore) -> None:
    first = store.add_review("duplicate", "salesforce", "Lead", "00Q1", {"ids": ["00Q1"]})
    again = store.add_review("duplicate", "salesforce", "Lead", "00Q1", {"ids": ["00Q1", "00Q2"]})
    other = store.add_review("conflict", "salesforce", "Lead", "00Q1", {"field": "email"})
    assert first == again != other
    items = store.reviews()
    assert [(i.kind, i.detail) for i in items] == [
        ("duplicate", {"ids": ["00Q1", "00Q2"]}),
        ("conflict", {"field": "email"}),
    ]
    assert [i.id for i in store.reviews(kind="conflict")] == [other]


def test_resolved_review_leaves_the_open_list(store: StateStore) -> None:
    item = store.add_review("rejected", "hubspot", "contacts", "7", {"error": "INVALID_EMAIL"})
    assert store.resolve_review(item, "fixed the address")
    assert not store.resolve_review(item, "twice")
    assert store.reviews() == []
    (closed,) = store.reviews(open_only=False)
    assert (closed.resolution, closed.resolved) == ("fixed the address", NOW)
    reopened = store.add_review("rejected", "hubspot", "contacts", "7", None)
    assert reopened != item


def test_add_reviews_in_batch_and_unknown_kind(store: StateStore) -> None:
    ids = store.add_reviews(
        [NewReview("fuzzy", "hubspot", "contacts", str(n), {"score": n}) for n in range(5)]
    )
    assert len(set(ids)) == 5
    with pytest.raises(ValueError, match="unknown review kind"):
        store.add_review("guess", "hubspot", "contacts", "1")


def test_racing_runs_record_each_task_key_once(state_url: str) -> None:
    import threading

    url = state_url
    stores = [StateStore(url) for _ in range(4)]
    keys = [f"cadence:00Q{n}:day3" for n in range(50)]
    start = threading.Barrier(len(stores))
    got: list[list[str]] = [[] for _ in stores]

    def record(n: int) -> None:
        start.wait()
        for key in keys:  # one call per key makes the interleaving as fine as it gets
            got[n].extend(stores[n].record_task_intents(None, [_task(key)]))

    threads = [threading.Thread(target=record, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    recorded = [key for keys_of_one in got for key in keys_of_one]
    assert sorted(recorded) == sorted(keys)
