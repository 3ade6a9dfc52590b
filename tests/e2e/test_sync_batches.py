"""Apply writes in full batches (200 Salesforce, 100 HubSpot records a call), journaled first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from integrations.base import WriteResult, WriteRow
from sync.runs import sync_run
from tests.e2e.support import Harness, admin, connectors

EDITS = 205  # HubSpot: two full batches and a part-batch; Salesforce: one and a part


class Recording:
    """A connector that notes, for each update call, its size and the journal at that moment."""

    def __init__(self, inner: Any, harness: Harness) -> None:
        self._inner = inner
        self._h = harness
        self.batches: list[tuple[int, int]] = []  # (rows sent, planned-not-yet-written entries)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def update(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        runs = self._h.store.runs(1)
        planned = self._h.store.journal_for_run(runs[0].id, "planned") if runs else []
        ids = {r.id for r in rows}
        self.batches.append((len(rows), len({e.record_id for e in planned} & ids)))
        return list(self._inner.update(object, rows))


def test_updates_go_in_full_batches_journaled_before_each_is_sent(
    make_sandbox: Any, tmp_path: Path
) -> None:
    h = Harness(make_sandbox(size=280, rate_limits=False, search_lag_seconds=0), tmp_path)
    assert h.sync().exit_code in (0, 1)
    leads = [x.record_id for x in h.store.links_of("salesforce", "Lead")]
    contacts = [h.partner("salesforce", lead) for lead in leads[:EDITS]]
    assert len(contacts) == EDITS
    for lead, contact in zip(leads[:EDITS], contacts, strict=True):
        body = {"id": lead, "fields": {"Title": "Batch Foreman"}}
        admin(h.sb, "salesforce", "edit_as_other_user", body)
        edit = {"type": "contacts", "id": contact, "properties": {"firstname": "Batchelor"}}
        admin(h.sb, "hubspot", "hubspot/edit", edit)
    wired = connectors(h.sb)
    hubspot = Recording(wired["hubspot"], h)
    wired["hubspot"] = hubspot  # type: ignore[assignment]
    report = sync_run(h.store, wired, datetime.now(UTC))
    assert report.tally is not None and report.tally.records_updated["hubspot"] >= EDITS
    contact_batches = [size for size, _ in hubspot.batches]
    assert contact_batches[:3] == [100, 100, 5]
    # Every record of a batch had its journal entries written (planned) before the call.
    assert all(journaled == size for size, journaled in hubspot.batches[:3])
    # Salesforce takes 200 records a call: the 205 first names go in two.
    assert report.tally.records_updated["salesforce"] >= EDITS
    assert report.calls["salesforce"]["PATCH /composite/sobjects"] == 2
    h.close()
