"""State store: runs, the journal and the saved-file index."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sync.store import StateStore
from sync.store_types import PlannedWrite


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(state_url: str, clock: Clock) -> Iterator[StateStore]:
    opened = StateStore(state_url, clock=clock)
    yield opened
    opened.close()


def _write(record: str, field: str, before: object, after: object) -> PlannedWrite:
    return PlannedWrite("hubspot", "contacts", record, field, before, after, stable_id="s" * 32)


def test_start_and_finish_a_run(store: StateStore, clock: Clock) -> None:
    run_id = store.start_run("nightly")
    started = store.run(run_id)
    assert started is not None and started.status == "running" and started.finished is None
    clock.now += timedelta(minutes=3)
    store.finish_run(run_id, "partial", 1, {"hubspot": {"batch/update": 4}}, {"updated": 7})
    done = store.run(run_id)
    assert done is not None
    assert (done.status, done.exit_code, done.finished) == ("partial", 1, clock.now)
    assert done.calls == {"hubspot": {"batch/update": 4}}
    assert done.summary == {"updated": 7}


def test_finish_unknown_run_raises(store: StateStore) -> None:
    with pytest.raises(KeyError):
        store.finish_run(99, "ok", 0)


def test_runs_newest_first_with_limit_and_kind(store: StateStore) -> None:
    ids = [store.start_run(kind) for kind in ("sync", "nightly", "sync", "sync")]
    assert [r.id for r in store.runs(limit=2)] == [ids[3], ids[2]]
    assert [r.id for r in store.runs(kind="nightly")] == [ids[1]]
    assert store.run(12345) is None


def test_journal_keeps_order_values_and_states(store: StateStore) -> None:
    run_id = store.start_run("sync")
    ids = store.journal_planned(
        run_id,
        [_write("1", "email", None, "a@b.example"), _write("1", "employees", 5, 12)],
    )
    assert len(ids) == 2
    store.journal_mark(ids[:1], "written")
    store.journal_mark(ids[1:], "failed", error="INVALID_NUMBER")
    entries = store.journal_for_run(run_id)
    assert [(e.seq, e.field, e.before, e.after, e.state) for e in entries] == [
        (1, "email", None, "a@b.example", "written"),
        (2, "employees", 5, 12, "failed"),
    ]
    assert entries[1].error == "INVALID_NUMBER"
    assert [e.id for e in store.journal_for_run(run_id, state="failed")] == [ids[1]]


def test_journal_ids_follow_input_order_in_large_batches(store: StateStore) -> None:
    run_id = store.start_run("sync")
    writes = [_write(str(n), "score", n, n + 1) for n in range(2_500)]
    ids = store.journal_planned(run_id, writes)
    entries = {e.id: e for e in store.journal_for_run(run_id)}
    assert [entries[i].record_id for i in ids] == [str(n) for n in range(2_500)]


def test_resumed_run_continues_the_sequence(store: StateStore) -> None:
    run_id = store.start_run("apply")
    store.journal_planned(run_id, [_write("1", "a", 1, 2)])
    store.journal_planned(run_id, [_write("2", "a", 1, 2)])
    assert [e.seq for e in store.journal_for_run(run_id)] == [1, 2]


def test_created_records_get_their_ids(store: StateStore) -> None:
    run_id = store.start_run("sync")
    (entry,) = store.journal_planned(run_id, [_write(None, "email", None, "x@y.example")])  # type: ignore[arg-type]
    store.journal_mark([entry], "written", record_ids={entry: "777"})
    assert store.journal_for_run(run_id)[0].record_id == "777"


def test_unknown_journal_state_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="journal state"):
        store.journal_mark([1], "done")


def test_journal_after_lists_later_written_entries(store: StateStore) -> None:
    first = store.start_run("sync")
    store.journal_mark(store.journal_planned(first, [_write("1", "a", 0, 1)]), "written")
    second = store.start_run("sync")
    later = store.journal_planned(second, [_write("1", "a", 1, 2), _write("2", "a", 1, 2)])
    store.journal_mark(later[:1], "written")
    found = store.journal_after(first, "hubspot", "contacts", ["1", "2"])
    assert [(e.run_id, e.record_id, e.after) for e in found] == [(second, "1", 2)]


def test_artifacts_are_indexed(store: StateStore) -> None:
    run_id = store.start_run("sync")
    plan = store.add_artifact("plan", "/tmp/plan.json", run_id)
    report = store.add_artifact("report", "/tmp/report.html")
    assert [a.id for a in store.artifacts()] == [plan, report]
    (only,) = store.artifacts("plan")
    assert (only.path, only.run_id) == ("/tmp/plan.json", run_id)


def test_transaction_commits_several_calls_together(store: StateStore) -> None:
    from sync.store_types import BaseValue

    run_id = store.start_run("apply")
    ids = store.journal_planned(run_id, [_write("1", "email", None, "a@b.example")])
    person = store.new_entity("person")
    with store.transaction():
        store.journal_mark(ids, "written")
        store.set_bases([BaseValue(person, "email", "a@b.example")])
        store.link(person, "hubspot", "contacts", "1")
        with store.transaction():  # nested: joins the outer one
            store.add_artifact("plan", "/tmp/plan.json", run_id)
        assert store.links_for_records("hubspot", "contacts", ["1"]) == {"1": person}
    assert store.journal_for_run(run_id)[0].state == "written"
    assert store.bases_for([person]) == {person: {"email": "a@b.example"}}
    assert len(store.artifacts()) == 1


def test_transaction_rolls_back_every_call_on_error(store: StateStore) -> None:
    from sync.store_types import BaseValue

    run_id = store.start_run("apply")
    ids = store.journal_planned(run_id, [_write("1", "email", None, "a@b.example")])
    person = store.new_entity("person")
    with pytest.raises(RuntimeError, match="crash"), store.transaction():
        store.journal_mark(ids, "written")
        store.set_bases([BaseValue(person, "email", "a@b.example")])
        store.link(person, "hubspot", "contacts", "1")
        raise RuntimeError("crash between two steps")
    assert store.journal_for_run(run_id)[0].state == "planned"
    assert store.bases_for([person]) == {}
    assert store.links_for_records("hubspot", "contacts", ["1"]) == {}


def test_a_secret_in_a_summary_is_stored_masked(store: StateStore) -> None:
    from pydantic import SecretStr

    run_id = store.start_run("nightly")
    store.finish_run(run_id, "ok", 0, summary={"token": SecretStr("pat-na1-secret")})
    with store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT summary FROM runs").scalar()
    assert "pat-na1-secret" not in str(raw)


def test_a_failed_call_inside_a_transaction_leaves_no_half_batch(store: StateStore) -> None:
    from sync.store_types import Link, LinkConflict

    known, other = store.new_entities("person", 2)
    with store.transaction():
        store.link(other, "hubspot", "contacts", "fine")
        with pytest.raises(LinkConflict):
            # the second row names no entity: the database refuses it after the first went in
            store.add_links(
                [
                    Link(known, "hubspot", "contacts", "new"),
                    Link("f" * 32, "hubspot", "contacts", "x"),
                ]
            )
    assert store.links_for_records("hubspot", "contacts", ["fine", "new", "x"]) == {"fine": other}
