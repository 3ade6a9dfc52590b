"""A task intended under a stable id that a merge drops is never made a second time.

A rules run records each task key as an intent, the CRM creates the task (HubSpot
stores the key in `crmops_key`), and the run crashes before the store marks the key
created. A sync then merges the person's two stable ids. The rerun keys the task by
the kept id; it must find the CRM's task made under the old key, not create another.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from sync.rulesjob import run_rules
from sync.store import StateStore
from sync.store_types import Link, TaskIntent
from tests.e2e import rules_support as rs

LEAD, CONTACT = "00Q5e0000000001EAA", "51000000001"  # one person, one email, seeded


class Crash(RuntimeError):
    """The process dies between the CRM's answer and the store's record of it."""


def crash_before_marking(store: StateStore, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(task_ids: Any) -> None:
        raise Crash(f"crashed before recording {len(task_ids)} task(s)")

    monkeypatch.setattr(store, "mark_tasks_created", crash)


def tasks_of(running: Any, stable_ids: set[str], kept: str) -> Counter[str]:
    """HubSpot tasks of these entities, by key with the kept id in place of any other."""
    found: Counter[str] = Counter()
    for key, count in rs.crmops_tasks(running)["hubspot"].items():
        rule, _, rest = key.partition(":")
        record, _, step = rest.partition(":")
        if record in stable_ids:
            found[f"{rule}:{kept}:{step}"] += count
    return found


def test_crash_then_merge_then_rerun_makes_no_second_task(
    make_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    store = context.store
    with monkeypatch.context() as patched:
        crash_before_marking(store, patched)
        with pytest.raises(Crash):
            run_rules(context, "hubspot", False, rs.now())
    dropped = store.links_for_records("hubspot", "contacts", [CONTACT])[CONTACT]
    intended = [k for k in store.tasks_of_run(store.runs(kind="rules")[0].id)]
    assert intended and {k.status for k in intended} == {"intent"}
    ours = [k for k in intended if k.stable_id == dropped]
    assert ours, "the seeded contact gets tasks on its first rules run"
    before = tasks_of(running, {dropped}, dropped)
    assert sum(before.values()) == len(ours)

    # A sync matches the contact to its Salesforce lead and keeps the lead's stable id.
    kept = store.new_entity("person")
    store.link(kept, "salesforce", "Lead", LEAD)
    store.merge_entities(kept, dropped)

    assert run_rules(context, "hubspot", False, rs.now(), full=True).exit_code == 0
    made = tasks_of(running, {kept, dropped}, kept)
    assert made == tasks_of(running, {dropped}, kept) and set(made.values()) == {1}
    # Confirmed now, under the kept id's key text: the next run finds them made.
    keys = [f"{k.rule}:{kept}:{k.key.split(':', 2)[2]}" for k in ours]
    known = store.task_keys_known(keys)
    assert sorted(known) == sorted(keys) and {k.status for k in known.values()} == {"created"}
    assert run_rules(context, "hubspot", False, rs.now(), full=True).exit_code == 0
    assert tasks_of(running, {kept, dropped}, kept) == made


def _store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def test_an_intended_key_keeps_its_text_until_confirmed(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept, dropped = store.new_entities("person", 2)
    store.add_links(
        [Link(kept, "salesforce", "Lead", "00Q1"), Link(dropped, "hubspot", "contacts", "51")]
    )
    old, new = f"hot_lead:{dropped}:once", f"hot_lead:{kept}:once"
    done_old, done_new = f"nurture:{dropped}:once", f"nurture:{kept}:once"
    store.record_task_intents(
        None,
        [
            TaskIntent(old, "hubspot", "hot_lead", dropped, "51"),
            TaskIntent(done_old, "hubspot", "nurture", dropped, "51"),
        ],
    )
    store.mark_tasks_created({done_old: "900"})
    store.merge_entities(kept, dropped)

    assert sorted(store.task_keys_known([old, new, done_old, done_new])) == sorted([done_new, old])
    assert store.task_keys_known([old])[old].stable_id == kept
    assert store.intended_aliases("hubspot", [new, done_new]) == {new: old}
    assert store.intended_aliases("salesforce", [new]) == {}

    store.mark_tasks_created({old: "901"})
    confirmed = store.task_keys_known([old, new])
    assert list(confirmed) == [new] and confirmed[new].task_id == "901"
    assert store.intended_aliases("hubspot", [new]) == {}
    store.close()


def test_a_confirmed_key_whose_new_text_is_taken_keeps_the_old_text(tmp_path: Path) -> None:
    store = _store(tmp_path)
    kept, dropped = store.new_entities("person", 2)
    old, new = f"hot_lead:{dropped}:once", f"hot_lead:{kept}:once"
    store.record_task_intents(
        None,
        [
            TaskIntent(old, "hubspot", "hot_lead", dropped, "51"),
            TaskIntent(new, "salesforce", "hot_lead", kept, "00Q1"),
        ],
    )
    store.mark_tasks_created({new: "00T1"})
    store.merge_entities(kept, dropped)
    assert store.intended_aliases("hubspot", [new]) == {}  # the kept key is known already
    store.mark_tasks_created({old: "901"})
    known = store.task_keys_known([old, new])
    assert (known[old].task_id, known[new].task_id) == ("901", "00T1")
    assert {k.stable_id for k in known.values()} == {kept}
    store.close()
