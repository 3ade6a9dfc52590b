"""First sync on the seeded sandbox: the overlap is linked right, and nothing echoes after."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync.runs import RunReport
from sync.store_types import StoreBoundElsewhere
from tests.e2e.support import Harness, admin, env

runner = CliRunner()


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Harness, RunReport]]:
    """One first sync shared by the module's read-only checks (the echo check runs last)."""
    with Sandbox(SandboxOptions(size=20, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("first"))
        yield harness, harness.sync()
        harness.close()


def test_first_sync_links_the_seeded_overlap(synced: Any) -> None:
    h, report = synced
    assert report.exit_code == 0
    links = h.store.links_for_ids("hubspot", ["51000000001", "51000000003", "51000000005"])
    assert {k: v.object for k, v in links.items()} == dict.fromkeys(links, "contacts")
    # Plain email; an upper-case email with a trailing space; a converted lead's contact.
    assert h.partner("hubspot", "51000000001") == "00Q5e0000000001EAA"
    assert h.partner("hubspot", "51000000003") == "0035e0000000003AAA"
    assert h.partner("hubspot", "51000000005") == "0035e0000000005AAA"
    person_account = h.partner("hubspot", "51000000008")
    sf_link = h.store.links_for_ids("salesforce", [person_account])[person_account]
    assert sf_link.object == "PersonAccount" and person_account.startswith("001")


def test_salesforce_duplicates_go_to_review_unlinked(synced: Any) -> None:
    h, _ = synced
    duplicates = h.store.reviews(kind="duplicate")
    assert any("jose.nunez@cypress-pm.example.com" in str(r.detail) for r in duplicates)
    assert "51000000004" not in h.store.links_for_ids("hubspot", ["51000000004"])


def test_converted_lead_is_not_linked_nor_copied(synced: Any) -> None:
    h, report = synced
    converted_lead = "00Q5e0000000005EAA"
    assert converted_lead not in h.store.links_for_ids("salesforce", [converted_lead])
    assert all(c.source_id != converted_lead for c in report.plan.creates)


def test_records_on_one_side_are_created_on_the_other(synced: Any) -> None:
    h, report = synced
    # Ingrid (HubSpot only) becomes a Salesforce lead carrying her HubSpot id.
    lead_id = h.partner("hubspot", "51000000007")
    lead = h.one("salesforce", "Lead", lead_id, ["Email", "HubSpot_Id__c", "LastName"])
    assert lead["Email"] == "ingrid.sondergaard@osprey-hotels.example.com"
    assert lead["HubSpot_Id__c"] == "51000000007"
    assert report.tally.created["salesforce"] >= 1 and report.tally.created["hubspot"] >= 1


def test_a_second_sync_plans_nothing(synced: Any) -> None:
    h, _ = synced
    again = h.sync()
    assert again.plan.updates == [] and again.plan.creates == [] and again.plan.links == []
    assert again.tally.fields_written == {"salesforce": 0, "hubspot": 0}


def test_a_quiet_run_reads_each_object_once_and_nothing_else(synced: Any) -> None:
    # Issue 7: no changes -> at most 2 calls per object per system. Salesforce re-reads
    # its last 60 s (late commits): those records are unchanged since they were synced
    # and must not trigger partner, owner or deal-stage reads.
    h, _ = synced
    h.sync()  # reads back what the earlier runs wrote
    quiet = h.sync()
    assert all(counts["read"] == 0 for counts in quiet.counts.values())
    salesforce, hubspot = quiet.calls["salesforce"], quiet.calls["hubspot"]
    assert sum(salesforce.values()) <= 2 * 4  # Account, Lead, Contact, Opportunity
    assert sum(hubspot.values()) <= 2 * 3  # companies, contacts, deals
    assert not [e for e in hubspot if "owners" in e or "pipelines" in e or "batch" in e]


def test_a_record_changed_in_the_overlap_window_is_still_synced(synced: Any) -> None:
    h, _ = synced
    contact = h.partner("salesforce", "00Q5e0000000001EAA")
    admin(
        h.sb,
        "salesforce",
        "edit_as_other_user",
        {"id": "00Q5e0000000001EAA", "fields": {"Title": "Overlap Check"}},
    )
    report = h.sync()
    assert [(u.record_id, [c.field for c in u.changes]) for u in report.plan.updates] == [
        (contact, ["title"])
    ]


def test_a_store_bound_to_another_org_refuses_to_run(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox(size=5, rate_limits=False, search_lag_seconds=0)
    h = Harness(sb, tmp_path)
    h.store.bind("00D000000000OTHER", None)
    with pytest.raises(StoreBoundElsewhere):
        h.sync()
    assert h.store.links_of("salesforce", "Lead") == []
    result = runner.invoke(app, ["sync", "--dry-run"], env=env(sb, h.state_url))
    assert result.exit_code == exit_codes.BAD_INPUT
    assert "00D000000000OTHER" in result.output
    h.close()


def test_a_crm_out_of_budget_exits_3(make_sandbox: Any, tmp_path: Path) -> None:
    sb = make_sandbox(size=5, rate_limits=False, search_lag_seconds=0)
    h = Harness(sb, tmp_path)
    admin(sb, "salesforce", "limits", {"daily_limit": 100, "used": 100})
    result = runner.invoke(app, ["sync"], env=env(sb, h.state_url))
    assert result.exit_code == exit_codes.CRM_UNAVAILABLE, result.output
    assert h.store.links_of("salesforce", "Lead") == []
    h.close()
