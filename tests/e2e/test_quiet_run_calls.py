"""A sync with nothing to do costs at most two calls per object per system, and never echoes.

Counted by the sandbox's per-endpoint call counters (`/__admin/calls`), which see every
request crmops makes through the real SDKs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from integrations.base import WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.support import Harness, admin, connectors

OBRIEN_LEAD, OBRIEN_CONTACT = "00Q5e0000000001EAA", "51000000001"
SF_CONTACT, ITS_HUBSPOT_CONTACT = "0035e0000000003AAA", "51000000003"  # Contact with an account
OBJECTS = {"salesforce": 4, "hubspot": 3}  # Lead, Contact, Account, Opportunity / 3 objects
WRITES = ("composite", "batch.update", "batch.create", "batch.upsert", "associations.batch.create")


def calls(sb: Any) -> dict[str, dict[str, int]]:
    """Calls each system answered since the last reset, by endpoint."""
    found = {}
    for system, base in (("salesforce", sb.salesforce_url), ("hubspot", sb.hubspot_url)):
        session = requests.Session()
        session.trust_env = False
        answer = session.get(f"{base}/__admin/calls", verify=sb.ca_bundle)
        answer.raise_for_status()
        found[system] = dict(answer.json()["by_endpoint"])
    return found


def reset_calls(sb: Any) -> None:
    for system in ("salesforce", "hubspot"):
        admin(sb, system, "calls/reset")


def writes(counted: dict[str, int]) -> dict[str, int]:
    return {e: n for e, n in counted.items() if any(w in e for w in WRITES)}


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """One synced sandbox; each test edits, syncs, then counts a sync with nothing new."""
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("quiet"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def edit_salesforce(h: Harness, **fields: Any) -> None:
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": OBRIEN_LEAD, "fields": fields})


def edit_hubspot(h: Harness, record_id: str = OBRIEN_CONTACT, **properties: Any) -> None:
    body = {"type": "contacts", "id": record_id, "properties": properties}
    admin(h.sb, "hubspot", "hubspot/edit", body)


def quiet_after(h: Harness, written: list[str]) -> dict[str, dict[str, int]]:
    """Sync the edits made (asserting which systems it wrote), then count a sync after it."""
    wrote = h.sync()
    assert sorted({u.system for u in wrote.plan.updates}) == written
    reset_calls(h.sb)
    quiet = h.sync()
    counted = calls(h.sb)
    assert quiet.plan.updates == [] and quiet.plan.creates == []
    assert quiet.plan.associations == []
    assert writes(counted["salesforce"]) == {} and writes(counted["hubspot"]) == {}
    for system, objects in OBJECTS.items():
        assert sum(counted[system].values()) <= 2 * objects, (system, counted[system])
    # crmops's own writes read back need no partner, association, owner or stage read.
    assert "objects.batch.read" not in counted["hubspot"]
    assert "associations.batch.read" not in counted["hubspot"]
    assert "owners.list" not in counted["hubspot"]
    assert "pipelines.list" not in counted["hubspot"]
    return counted


def test_a_sync_after_one_that_wrote_hubspot_is_quiet(h: Harness) -> None:
    edit_salesforce(h, Title="Chief Roofer")
    counted = quiet_after(h, ["hubspot"])
    # The org id (the store's binding check), then one changed-since read per object.
    assert counted["salesforce"] == {"query": 1 + OBJECTS["salesforce"]}


def test_a_sync_after_one_that_wrote_salesforce_is_quiet(h: Harness) -> None:
    edit_hubspot(h, firstname="Shiv")
    counted = quiet_after(h, ["salesforce"])
    assert counted["hubspot"] == {"account.details": 1, "objects.search": OBJECTS["hubspot"]}


def test_a_sync_after_one_that_wrote_both_sides_is_quiet(h: Harness) -> None:
    edit_salesforce(h, Title="CFO")
    edit_hubspot(h, firstname="Siobhan")
    quiet_after(h, ["hubspot", "salesforce"])


def test_a_salesforce_contact_written_with_its_account_needs_no_association_read(
    h: Harness,
) -> None:
    assert h.one("salesforce", "Contact", SF_CONTACT, ["AccountId"])["AccountId"]
    edit_hubspot(h, ITS_HUBSPOT_CONTACT, firstname="Ines")
    quiet_after(h, ["salesforce"])
    assert h.one("salesforce", "Contact", SF_CONTACT, ["FirstName"])["FirstName"] == "Ines"


def test_what_a_crm_filled_in_on_a_create_is_carried_back_once_then_quiet(h: Harness) -> None:
    # A HubSpot contact with no stage: the Salesforce Lead crmops creates from it gets
    # its CRM's default Status. The next sync carries that stage to HubSpot once, so
    # both sides agree, and the sync after it writes nothing (no echo, no loop).
    hubspot = connectors(h.sb)["hubspot"]
    made = hubspot.create("contacts", [WriteRow({"email": "nova@example.org", "lastname": "Nova"})])
    contact = str(made[0].id)
    created = h.sync()
    assert [(c.system, c.source_id) for c in created.plan.creates] == [("salesforce", contact)]
    lead = h.partner("hubspot", contact)
    assert h.one("salesforce", "Lead", lead, ["Status"]) == {"Status": "Open - Not Contacted"}
    carried = h.sync()
    changes = [(u.system, c.field, c.new) for u in carried.plan.updates for c in u.changes]
    assert changes == [("hubspot", "stage", "new")]
    assert h.one("hubspot", "contacts", contact, ["lifecyclestage", "hs_lead_status"]) == {
        "lifecyclestage": "lead",
        "hs_lead_status": "NEW",
    }
    for _ in range(2):
        again = h.sync()
        assert again.plan.updates == [], [(u.system, u.changes) for u in again.plan.updates]


def test_a_merge_into_a_record_at_its_base_is_still_swept(h: Harness) -> None:
    # The survivor of a Salesforce merge may come back with every field at its base:
    # left out of the diff, it still makes the run sweep for the merged-away record.
    loser = "00Q5e0000000009EAA"
    assert h.store.links_for_ids("salesforce", [loser])
    admin(h.sb, "salesforce", "merge", {"master_id": OBRIEN_LEAD, "loser_ids": [loser]})
    report = h.sync()
    named = [item for item in report.plan.review if ("salesforce", loser) in item.records]
    assert [item.kind for item in named] == ["conflict"]


def test_a_second_quiet_sync_reads_each_object_once(h: Harness) -> None:
    h.sync()
    reset_calls(h.sb)
    assert h.sync().plan.updates == []
    counted = calls(h.sb)
    assert counted["hubspot"].get("objects.search", 0) <= OBJECTS["hubspot"]
    assert sum(counted["salesforce"].values()) <= OBJECTS["salesforce"] + 1
