"""Unlinked records in an incremental run are looked up on the other side by email, in bulk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from integrations.base import Cursor, WriteRow
from tests.e2e.support import Harness, connectors

COUNT = 25  # more than the old cap of 10 single-value searches per run


def test_new_leads_link_to_existing_contacts_by_email_with_one_search(
    make_sandbox: Any, tmp_path: Path
) -> None:
    h = Harness(make_sandbox(size=6, rate_limits=False, search_lag_seconds=0), tmp_path)
    assert h.sync().exit_code == 0
    hubspot, salesforce = connectors(h.sb)["hubspot"], connectors(h.sb)["salesforce"]
    emails = [f"lookup{i}@example.org" for i in range(COUNT)]
    made = hubspot.create(
        "contacts", [WriteRow({"email": e, "lastname": f"L{i}"}) for i, e in enumerate(emails)]
    )
    assert all(r.ok for r in made)
    # As if an earlier run had read these contacts already: only the leads are new.
    h.store.save_cursor("hubspot", "contacts", Cursor(datetime.now(UTC) + timedelta(hours=1), ""))
    rows = [
        WriteRow({"Email": f"  {e.upper()} ", "LastName": f"L{i}", "Company": "Acme"})
        for i, e in enumerate(emails)
    ]
    assert all(r.ok for r in salesforce.create("Lead", rows))
    report = h.sync()
    linked = {link.hubspot_id for link in report.plan.links}
    assert linked == {r.id for r in made}
    assert [c for c in report.plan.creates if c.system == "hubspot"] == []
    searches = report.calls["hubspot"].get("POST /crm/v3/objects/contacts/search", 0)
    assert searches <= 2  # the changed-since read and one look-up of 25 emails
    h.close()
