"""Rules run before the first sync: the stable ids each side got are merged, not duplicated.

A rules run gives every record it meets first a stable id linked on its own side only,
so before any sync the two records of one person hold two ids. The sync that follows
must still match them by email (merging the ids), link exactly what a sync-first
order links, list no false duplicates, and leave the next rules run nothing to make.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from integrations.base import Cursor, WriteRow
from sync import schema as t
from sync.planner import HELD_KINDS
from sync.rulesjob import run_rules
from sync.store import StateStore
from tests.e2e import rules_support as rs
from tests.e2e.support import Harness, connectors

SIZE = 20


def _paired(store: StateStore) -> int:
    """Stable ids linked in both systems."""
    per_entity = (
        select(t.links.c.stable_id)
        .group_by(t.links.c.stable_id)
        .having(func.count(func.distinct(t.links.c.system)) == 2)
    )
    with store.engine.connect() as conn:
        return len(conn.execute(per_entity).all())


def _one_sided(store: StateStore) -> int:
    """Stable ids linked in one system only."""
    per_entity = (
        select(t.links.c.stable_id)
        .group_by(t.links.c.stable_id)
        .having(func.count(func.distinct(t.links.c.system)) == 1)
    )
    with store.engine.connect() as conn:
        return len(conn.execute(per_entity).all())


def _held(store: StateStore) -> list[tuple[str, str, str]]:
    """Open duplicate, look-alike and conflict items: (kind, system, record id)."""
    return sorted((r.kind, r.system, r.record_id) for r in store.reviews() if r.kind in HELD_KINDS)


def _sync_first(make_sandbox: Any, tmp_path: Path) -> tuple[int, list[tuple[str, str, str]]]:
    running = rs.start(make_sandbox, size=SIZE)
    harness = Harness(running, tmp_path, "sync-first.db")
    try:
        assert harness.sync().exit_code == 0
        return _paired(harness.store), _held(harness.store)
    finally:
        harness.close()


def test_rules_then_sync_links_like_sync_first_and_makes_no_second_task(
    make_sandbox: Any, tmp_path: Path
) -> None:
    links_sync_first, held_sync_first = _sync_first(make_sandbox, tmp_path)
    running = rs.start(make_sandbox, size=SIZE)
    context = rs.context(running, tmp_path / "state.db")
    harness = Harness(running, tmp_path, "state.db")
    try:
        first = run_rules(context, "both", False, rs.now())
        assert first.exit_code == 0 and first.summary["tasks_total"] > 0
        assert _paired(harness.store) == 0 and _one_sided(harness.store) > 0
        on_hubspot = {k.stable_id or "" for k in _tasks(context) if k.system == "hubspot"}

        assert harness.sync().exit_code == 0
        assert links_sync_first > 0
        assert _paired(harness.store) == links_sync_first
        assert _held(harness.store) == held_sync_first
        # HubSpot-side stable ids were merged into the Salesforce side's; tasks follow.
        merged = harness.store.resolve_entities(list(on_hubspot))
        assert merged
        assert set(harness.store.records_for(list(merged.values()), "salesforce")) == set(
            merged.values()
        )
        task_ids = {k.stable_id or "" for k in _tasks(context)}
        assert task_ids.isdisjoint(merged) and set(merged.values()) <= task_ids

        made = rs.crmops_tasks(running)
        had = {(k.rule, k.stable_id) for k in _tasks(context)}
        again = run_rules(context, "both", False, rs.now(), full=True)
        assert again.exit_code == 0
        new = context.store.tasks_of_run(again.run_id or 0)
        # No person gets a rule's task twice; no merged person gets any task at all.
        # (Leads the sync created have a new CreatedDate, so a first response can be
        # due on them now: a sync-first order makes those too.)
        assert all((k.rule, k.stable_id) not in had for k in new)
        assert not {k.stable_id for k in new} & set(merged.values())
        after = rs.crmops_tasks(running)
        for system in ("salesforce", "hubspot"):
            assert sum(after[system].values()) == sum(made[system].values()) + sum(
                1 for k in new if k.system == system
            )
            assert set(after[system].values()) == {1}
    finally:
        harness.close()
        context.store.close()


def _tasks(context: Any) -> list[Any]:
    """Every task key the store holds, of every run."""
    with context.store.engine.connect() as conn:
        run_ids = conn.execute(select(t.runs.c.id)).scalars().all()
    return [k for run in run_ids for k in context.store.tasks_of_run(run)]


def test_an_incremental_sync_looks_up_one_sided_records_by_email(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox, size=6)
    harness = Harness(running, tmp_path, "state.db")
    context = rs.context(running, tmp_path / "state.db")
    try:
        assert harness.sync().exit_code == 0
        hubspot, salesforce = connectors(running)["hubspot"], connectors(running)["salesforce"]
        emails = [f"watch{i}@example.org" for i in range(3)]
        made = hubspot.create(
            "contacts", [WriteRow({"email": e, "lastname": f"W{i}"}) for i, e in enumerate(emails)]
        )
        rows = [
            WriteRow({"Email": e, "LastName": f"W{i}", "Company": "Acme"})
            for i, e in enumerate(emails)
        ]
        leads = salesforce.create("Lead", rows)
        assert all(r.ok for r in [*made, *leads])
        assert run_rules(context, "both", False, rs.now()).exit_code == 0
        # As if an earlier sync had read the contacts already: only the leads are new.
        ahead = Cursor(datetime.now(UTC) + timedelta(hours=1), "")
        harness.store.save_cursor("hubspot", "contacts", ahead)

        report = harness.sync()
        assert report.exit_code == 0
        assert {link.hubspot_id for link in report.plan.links} == {r.id for r in made}
        assert [c for c in report.plan.creates if c.system == "hubspot"] == []
        for lead, contact in zip(leads, made, strict=True):
            assert harness.partner("salesforce", str(lead.id)) == contact.id
    finally:
        harness.close()
        context.store.close()
