"""A first sync right after a rules run, while HubSpot's search index still lags behind.

The rules run writes to most HubSpot contacts; a search made within the index lag
does not see them. The first sync must still read them (a whole read goes through
the list endpoints), match them by email and plan no HubSpot create for them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sync.rulesjob import run_rules
from tests.e2e import rules_support as rs
from tests.e2e.support import Harness
from tests.e2e.test_rules_then_sync import _paired

SIZE = 20
LAG_SECONDS = 3600.0  # far longer than the test: the rules run's writes stay unsearchable


def _lagging(make_sandbox: Any) -> Any:
    """A small sandbox like `rules_support.start`, but with the search index lagging."""
    running = make_sandbox(rate_limits=False, search_lag_seconds=LAG_SECONDS, size=SIZE)
    sf, hs = rs.connect_sandbox(running)
    sf.provision(rs.SALESFORCE_FIELDS, False)
    hs.provision(rs.HUBSPOT_PROPERTIES, False)
    return running


def _hubspot_creates(report: Any) -> int:
    return sum(1 for c in report.plan.creates if c.system == "hubspot")


def test_first_sync_after_rules_reads_what_the_search_index_does_not_show_yet(
    make_sandbox: Any, tmp_path: Path
) -> None:
    first = Harness(rs.start(make_sandbox, size=SIZE), tmp_path, "sync-first.db")
    try:
        sync_first = first.sync()
        assert sync_first.exit_code == 0
        paired_sync_first = _paired(first.store)
    finally:
        first.close()

    running = _lagging(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    harness = Harness(running, tmp_path, "state.db")
    try:
        rules = run_rules(context, "both", False, rs.now())
        assert rules.exit_code == 0 and rules.summary["records_changed"] > 0
        report = harness.sync()
        assert report.exit_code == 0
        assert paired_sync_first > 0
        assert _paired(harness.store) == paired_sync_first
        assert _hubspot_creates(report) == _hubspot_creates(sync_first)
    finally:
        harness.close()
        context.store.close()
