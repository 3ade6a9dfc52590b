"""Retention: what is past its time goes, what the sync needs stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sync.store import StateStore
from sync.store_types import BaseValue, PlannedWrite, TaskIntent

OLD = datetime(2026, 1, 1, tzinfo=UTC)
NEW = datetime(2026, 4, 1, tzinfo=UTC)
PURGE_AT = datetime(2026, 4, 15, tzinfo=UTC)
KEEP = timedelta(days=90)  # cutoff 2026-01-15: OLD goes, NEW stays


class Clock:
    """A clock the test sets by hand."""

    def __init__(self) -> None:
        self.now = OLD

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


def _run_with_everything(store: StateStore, folder: Path, tag: str) -> int:
    run_id = store.start_run("nightly")
    ids = store.journal_planned(
        run_id, [PlannedWrite("hubspot", "contacts", tag, "email", "a@x.example", "b@x.example")]
    )
    store.journal_mark(ids, "written")
    plan = folder / f"plan-{tag}.json"
    plan.write_text("{}")
    store.add_artifact("plan", str(plan), run_id)
    store.add_artifact("report", str(folder / f"gone-{tag}.html"), run_id)  # deleted by hand
    review = store.add_review("rejected", "hubspot", "contacts", tag, {"email": "b@x.example"})
    store.resolve_review(review, "fixed")
    store.add_review("duplicate", "salesforce", "Lead", tag, None)  # still open
    store.intents("hubspot", "deals", [f"deal-{tag}"], run_id)
    store.resolve_intent("hubspot", "deals", f"deal-{tag}", "9")
    store.record_task_intents(run_id, [TaskIntent(f"cadence:{tag}:day3", "hubspot", "cadence")])
    store.finish_run(run_id, "ok", 0, {"hubspot": {"search": 1}}, {"names": ["Ann"]})
    return run_id


def test_purge_removes_old_personal_data_and_keeps_the_rest(
    store: StateStore, clock: Clock, tmp_path: Path
) -> None:
    person = store.new_entity("person")
    store.link(person, "hubspot", "contacts", "old")
    store.set_bases([BaseValue(person, "email", "b@x.example")])
    store.add_tombstone("hubspot", "contacts", "erased", "gdpr_delete")
    old_run = _run_with_everything(store, tmp_path, "old")
    clock.now = NEW
    new_run = _run_with_everything(store, tmp_path, "new")

    counts = store.purge(KEEP, now=PURGE_AT)

    assert counts == {
        "journal": 1,
        "reviews": 1,
        "run_summaries": 1,
        "intents": 1,
        "artifacts": 2,
        "files": 1,
    }
    assert not (tmp_path / "plan-old.json").exists()
    assert (tmp_path / "plan-new.json").exists()
    assert store.journal_for_run(old_run) == []
    assert len(store.journal_for_run(new_run)) == 1
    old = store.run(old_run)
    assert old is not None and old.summary is None and old.calls == {"hubspot": {"search": 1}}
    assert [a.path for a in store.artifacts()] == [
        str(tmp_path / "plan-new.json"),
        str(tmp_path / "gone-new.html"),
    ]
    assert {r.record_id for r in store.reviews(open_only=False)} == {"old", "new"}
    assert store.links_for_records("hubspot", "contacts", ["old"]) == {"old": person}
    assert store.bases_for([person]) == {person: {"email": "b@x.example"}}
    assert store.is_tombstoned("hubspot", ["erased"]) == {"erased"}
    assert set(store.task_keys_known(["cadence:old:day3", "cadence:new:day3"])) == {
        "cadence:old:day3",
        "cadence:new:day3",
    }


def test_purge_twice_finds_nothing_more(store: StateStore, tmp_path: Path, clock: Clock) -> None:
    _run_with_everything(store, tmp_path, "old")
    store.purge(KEEP, now=PURGE_AT)
    assert set(store.purge(KEEP, now=PURGE_AT).values()) == {0}


def test_negative_retention_is_refused(store: StateStore) -> None:
    with pytest.raises(ValueError, match="negative"):
        store.purge(timedelta(days=-1), now=PURGE_AT)
