"""A sync merging a person's stable ids while a rules run is under way makes no second task."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from sync.rulesjob import RulesHooks, run_rules
from tests.e2e import rules_support as rs

LEAD, CONTACT = "00Q5e0000000001EAA", "51000000001"  # one person, one email, seeded


def test_ids_merged_during_a_rules_run_get_no_task_under_the_old_id(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    store = context.store
    assert run_rules(context, "salesforce", False, rs.now()).exit_code == 0
    kept = store.links_for_records("salesforce", "Lead", [LEAD])[LEAD]
    ids = {kept}

    def merge_as_a_sync_would(what: str, done: int, total: int) -> None:
        dropped = store.links_for_records("hubspot", "contacts", [CONTACT]).get(CONTACT)
        if dropped is not None and dropped != kept:
            ids.add(dropped)
            store.merge_entities(kept, dropped)

    # `progress` runs after the pass read the records and their links, before its tasks
    # are checked against the store: where a sync applying a merge can land.
    hooks = RulesHooks(progress=merge_as_a_sync_would)
    assert run_rules(context, "hubspot", False, rs.now(), hooks=hooks).exit_code == 0
    assert run_rules(context, "hubspot", False, rs.now(), full=True).exit_code == 0
    runs = [r.id for r in store.runs(kind="rules")]
    rows = [k for run in runs for k in store.tasks_of_run(run) if k.stable_id in ids]
    twice = [rule for rule, n in Counter(k.rule for k in rows).items() if n > 1]
    assert len(ids) == 2 and rows and twice == []
