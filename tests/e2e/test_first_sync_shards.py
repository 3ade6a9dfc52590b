"""A first sync reads each pair whole in shards, and plans what one pass over everything plans."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync import syncjob
from sync.job import open_job
from sync.reconcile_shards import read_shards
from sync.syncjob import SyncOutcome, plan_sync
from tests.e2e.support import Harness, connectors, plan_shape

SMALL = 12  # records per shard: every pair is cut into many shards


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=24, rate_limits=False, search_lag_seconds=0)) as sb:
        h = Harness(sb, tmp_path)
        yield h
        h.close()


def _planned(
    h: Harness, monkeypatch: pytest.MonkeyPatch, limit: int | None
) -> tuple[SyncOutcome, Counter[str]]:
    """A first sync's plan (nothing written), in shards of `limit` records, and shards per pair."""
    shards: Counter[str] = Counter()

    def counted(job: Any, pair: str, limit: int) -> Iterator[Any]:
        for shard in read_shards(job, pair, limit):
            shards[pair] += 1
            yield shard

    monkeypatch.setattr(syncjob, "read_shards", counted)
    if limit is not None:
        monkeypatch.setattr(syncjob, "WHOLE_SHARD_RECORDS", limit)
    outcome = plan_sync(open_job(h.store, connectors(h.sb), datetime.now(UTC)))
    monkeypatch.undo()
    return outcome, shards


def test_a_first_sync_in_small_shards_plans_like_one_pass(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole, one_each = _planned(harness, monkeypatch, None)
    cut, many = _planned(harness, monkeypatch, SMALL)
    assert set(one_each.values()) == {1} and many["person"] > 3 and many["company"] > 1
    assert whole.plan.links and whole.plan.creates and whole.plan.updates
    assert plan_shape(cut.plan) == plan_shape(whole.plan)
    assert len(cut.plan.associations) == len(whole.plan.associations)
    # The cursors start from the newest record each variant read, shards or not.
    assert cut.cursors == whole.cursors and whole.cursors
    assert cut.versions == whole.versions
    assert {p: c["read"] for p, c in cut.counts.items()} == {
        p: c["read"] for p, c in whole.counts.items()
    }


def test_a_first_sync_in_small_shards_then_a_rerun_plans_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(syncjob, "WHOLE_SHARD_RECORDS", SMALL)
    first = harness.sync()
    assert first.exit_code in (0, 1)
    monkeypatch.undo()
    again = harness.sync()
    assert again.exit_code == 0
    assert not again.plan.creates and not again.plan.updates and not again.plan.links
    assert first.plan.creates and first.plan.links
