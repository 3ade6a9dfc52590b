"""A quiet Salesforce org is not re-read from behind its last burst of writes on every run.

Salesforce reads re-read a window (`overlap`, 60 s) behind their cursor for late
commits. If the cursor stayed at the last record seen, every later run in a quiet
org would re-read whatever was written in the last minute before it, however long
ago that was. The query's own run time (the answer's `Date`, on the CRM's clock)
lets the cursor move up to it: nothing older than that minus the overlap is unseen.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.support import Harness, admin, connectors

LATER = 300  # seconds the org's clock moves between the runs


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path)
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def org_now(h: Harness) -> datetime:
    return h.sb.salesforce.clock.now()  # type: ignore[no-any-return]


def reread(h: Harness) -> list[Any]:
    """What the next run's Lead read would return from the stored cursor."""
    cursor = h.store.cursor("salesforce", "Lead")
    assert cursor is not None
    return [r.id for r in connectors(h.sb)["salesforce"].changed_since("Lead", cursor, ["Id"])]


def test_a_quiet_run_moves_the_cursor_to_when_its_read_ran(h: Harness) -> None:
    leads = [
        r.id
        for r in connectors(h.sb)["salesforce"].read_all("Lead", ["IsConverted"])
        if not r.fields.get("IsConverted")
    ][:3]
    assert len(leads) == 3
    for n, lead in enumerate(leads):
        admin(h.sb, "salesforce", "edit_as_other_user", {"id": lead, "fields": {"Title": f"T{n}"}})
    assert h.sync().exit_code == 0  # reads the burst
    assert set(reread(h)) >= set(leads)  # still inside the overlap behind the cursor
    admin(h.sb, "salesforce", "clock", {"advance_seconds": LATER})
    before = org_now(h)
    quiet = h.sync()
    assert quiet.plan.updates == [] and quiet.plan.creates == []
    cursor = h.store.cursor("salesforce", "Lead")
    assert cursor is not None and cursor.modified >= before - timedelta(seconds=2)
    assert reread(h) == []  # the burst is not read again by the runs after


def test_the_horizon_is_the_first_answers_date_on_the_orgs_clock(h: Harness) -> None:
    admin(h.sb, "salesforce", "clock", {"advance_seconds": LATER})
    salesforce = connectors(h.sb)["salesforce"]
    before = org_now(h)
    assert salesforce.read_horizon("Lead") is None  # type: ignore[attr-defined]
    list(salesforce.changed_since("Lead", h.store.cursor("salesforce", "Lead"), ["Id"]))
    horizon = salesforce.read_horizon("Lead")  # type: ignore[attr-defined]
    assert horizon is not None
    assert abs((horizon - before).total_seconds()) <= 3  # the org's clock, not the machine's
