"""A reconcile cut into small shards plans exactly what one pass over everything plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.base import WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync import reconcile as reconciling
from sync.job import open_job
from sync.plan import Plan
from sync.reconcile_shards import read_shards
from tests.e2e.support import Harness, admin, connectors, hubspot_call, plan_shape

SMALL = 12  # records per shard: every pair is cut into many shards


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=24, rate_limits=False, search_lag_seconds=0)) as sb:
        h = Harness(sb, tmp_path_factory.mktemp("shards"))
        yield h
        h.close()


def _plan(
    h: Harness, monkeypatch: pytest.MonkeyPatch, limit: int | None
) -> tuple[Plan, Any, Counter[str]]:
    """A dry reconcile (shards of `limit` records, or the default), and shards per pair."""
    shards: Counter[str] = Counter()

    def counted(job: Any, pair: str) -> Iterator[Any]:
        for shard in read_shards(job, pair, **({"limit": limit} if limit else {})):
            shards[pair] += 1
            yield shard

    monkeypatch.setattr(reconciling, "read_shards", counted)
    job = open_job(h.store, connectors(h.sb), datetime.now(UTC))
    done = reconciling.reconcile(job, None, keep_plan=True)
    monkeypatch.undo()
    return done.outcome.plan, done, shards


def _same(h: Harness, monkeypatch: pytest.MonkeyPatch) -> tuple[Plan, Plan]:
    whole, whole_done, one_each = _plan(h, monkeypatch, None)
    cut, cut_done, many = _plan(h, monkeypatch, SMALL)
    assert set(one_each.values()) == {1} and many["person"] > 3 and many["company"] > 1
    assert plan_shape(cut) == plan_shape(whole)
    assert cut_done.tallies == whole_done.tallies
    return whole, cut


def test_on_a_fresh_store_shards_match_and_plan_like_one_pass(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, _ = _same(harness, monkeypatch)
    assert whole.links and whole.creates  # the seed's overlap and its one-sided records
    kinds = Counter(r.kind for r in whole.review)
    assert kinds["duplicate"] > 0  # Salesforce duplicates go to review in shards too


def test_after_a_sync_shards_diff_like_one_pass(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert harness.sync().exit_code in (0, 1)
    hubspot = connectors(harness.sb)["hubspot"]
    assert hubspot.update("contacts", [WriteRow({"jobtitle": "Shard Keeper"}, id="51000000001")])[
        0
    ].ok
    whole, _ = _same(harness, monkeypatch)
    titles = [c.new for u in whole.updates for c in u.changes if c.field == "title"]
    assert "Shard Keeper" in titles


def test_departures_are_planned_alike_in_shards(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = harness.sb
    robert = "00Q5e0000000002EAA"
    assert robert in harness.store.links_for_ids("salesforce", [robert])
    hubspot_call(sb, "POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": "51000000007"})
    hubspot_call(sb, "DELETE", "/crm/v3/objects/contacts/51000000009")
    fields = {"LastName": "Tables", "Company": "Pelican", "Email": "r.tables@pelican.example"}
    winner = connectors(sb)["salesforce"].create("Lead", [WriteRow(fields)])[0].id
    admin(sb, "salesforce", "merge", {"master_id": winner, "loser_ids": [robert]})
    _, cut = _same(harness, monkeypatch)
    assert [(m.from_id, m.to_id) for m in cut.moves] == [(robert, winner)]
    gone = sorted(r.detail["how"] for r in cut.review if r.kind == "deleted")
    assert gone == ["deleted", "erased"]
    assert not [c for c in cut.creates if c.key == winner]  # the winner took the link


def test_a_dry_reconcile_counts_what_it_lets_go(harness: Harness) -> None:
    job = open_job(harness.store, connectors(harness.sb), datetime.now(UTC))
    kept = reconciling.reconcile(job, None, keep_plan=True)
    dry = reconciling.reconcile(job, None)
    assert dry.tallies == kept.tallies
    assert kept.outcome.plan.updates and not dry.outcome.plan.updates
    assert [r.kind for r in dry.outcome.plan.review] == [r.kind for r in kept.outcome.plan.review]


def test_look_alikes_read_into_different_shards_are_listed_and_held(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    sf, hs = connectors(harness.sb)["salesforce"], connectors(harness.sb)["hubspot"]
    lead = sf.create(
        "Lead",
        [
            WriteRow(
                {
                    "FirstName": "Jonathan",
                    "LastName": "Quillfeather",
                    "Company": "Osprey Roofing",
                    "Email": "jq@osprey.example",
                }
            )
        ],
    )[0].id
    contact = hs.create(
        "contacts",
        [
            WriteRow(
                {
                    "firstname": "Jonathon",
                    "lastname": "Quillfeather",
                    "company": "Osprey Roofing",
                    "email": "jonathon.q@mail.example",
                }
            )
        ],
    )[0].id
    whole, cut = _same(harness, monkeypatch)
    pair = ("fuzzy", tuple(sorted([("salesforce", lead), ("hubspot", contact)])))
    for plan in (whole, cut):
        assert pair in plan_shape(plan)["review"]
        assert not {lead, contact} & {c.source_id for c in plan.creates}
