"""Changes after a first sync: each side's edits flow by policy; blanks, analytics, consent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.support import Harness, admin

OBRIEN_LEAD, OBRIEN_CONTACT = "00Q5e0000000001EAA", "51000000001"
OPTED_OUT_LEAD = "00Q5e0000000009EAA"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """One synced sandbox for the module; each test leaves both sides in sync."""
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("changes"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


@pytest.fixture
def h(shared: Harness) -> Harness:
    return shared


def edit_sf(h: Harness, record_id: str, **fields: Any) -> None:
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": record_id, "fields": fields})


def edit_hs(h: Harness, record_id: str, **properties: Any) -> None:
    body = {"type": "contacts", "id": record_id, "properties": properties}
    admin(h.sb, "hubspot", "hubspot/edit", body)


def lead(h: Harness, *fields: str) -> dict[str, Any]:
    return h.one("salesforce", "Lead", OBRIEN_LEAD, list(fields))


def contact(h: Harness, *props: str) -> dict[str, Any]:
    return h.one("hubspot", "contacts", OBRIEN_CONTACT, list(props))


def test_a_salesforce_edit_reaches_hubspot_and_does_not_echo(h: Harness) -> None:
    edit_sf(h, OBRIEN_LEAD, Title="Chief Roofer")
    report = h.sync()
    assert contact(h, "jobtitle")["jobtitle"] == "Chief Roofer"
    changes = [(u.system, c.field) for u in report.plan.updates for c in u.changes]
    assert changes == [("hubspot", "title")]
    assert h.sync().plan.updates == []


def test_a_hubspot_edit_reaches_salesforce(h: Harness) -> None:
    edit_hs(h, OBRIEN_CONTACT, firstname="Shiv")
    h.sync()
    assert lead(h, "FirstName")["FirstName"] == "Shiv"


def test_one_field_changed_on_both_sides_goes_by_policy(h: Harness) -> None:
    # Stage is Salesforce's: its value wins, and HubSpot's lifecycle moves back
    # (clear, then set) from the later stage HubSpot was given.
    edit_sf(h, OBRIEN_LEAD, Status="Qualified")
    edit_hs(h, OBRIEN_CONTACT, hs_lead_status="UNQUALIFIED", lifecyclestage="other")
    report = h.sync()
    stage = [c for u in report.plan.updates for c in u.changes if c.field == "stage"]
    assert [(c.target_system, c.new, c.conflict) for c in stage] == [("hubspot", "qualified", True)]
    assert contact(h, "hs_lead_status", "lifecyclestage") == {
        "hs_lead_status": "OPEN_DEAL",
        "lifecyclestage": "salesqualifiedlead",
    }
    assert lead(h, "Status")["Status"] == "Qualified"


def test_analytics_touching_every_contact_changes_only_the_visit_counts(h: Harness) -> None:
    contacts = [link.record_id for link in h.store.links_of("hubspot", "contacts")]
    admin(h.sb, "hubspot", "hubspot/touch", {"ids": contacts})
    report = h.sync()
    changed = {(u.system, c.field) for u in report.plan.updates for c in u.changes}
    assert changed <= {("salesforce", "website_visits")}
    assert report.plan.creates == [] and report.plan.links == []
    assert h.sync().plan.updates == []


def test_a_blank_never_overwrites_a_value(h: Harness) -> None:
    title = lead(h, "Title")["Title"]
    assert title
    edit_hs(h, OBRIEN_CONTACT, jobtitle="")
    report = h.sync()
    assert lead(h, "Title")["Title"] == title
    assert all(c.new not in (None, "") for u in report.plan.updates for c in u.changes)


def test_an_opt_out_on_either_side_holds_on_both(h: Harness) -> None:
    # Seeded: opted out in HubSpot only; the first sync carried it to Salesforce.
    opted = h.one("salesforce", "Lead", OPTED_OUT_LEAD, ["HasOptedOutOfEmail"])
    assert opted["HasOptedOutOfEmail"] is True
    edit_sf(h, OBRIEN_LEAD, DoNotCall=True)
    edit_hs(h, h.partner("salesforce", OPTED_OUT_LEAD), hs_email_optout="false")
    h.sync()
    assert contact(h, "do_not_call")["do_not_call"] == "true"
    back = h.one(
        "hubspot", "contacts", h.partner("salesforce", OPTED_OUT_LEAD), ["hs_email_optout"]
    )
    assert back["hs_email_optout"] == "true"


def test_a_two_way_field_changed_on_both_sides_takes_the_newer(h: Harness) -> None:
    # Last in the module: HubSpot's clock runs ahead from here on, and its reads end
    # at the connector's own now, so later HubSpot edits would not be read yet.
    edit_sf(h, OBRIEN_LEAD, Phone="+1 305 555 0001")
    admin(h.sb, "hubspot", "clock", {"advance_seconds": 5})
    edit_hs(h, OBRIEN_CONTACT, phone="+1 305 555 0002")
    h.sync()
    assert lead(h, "Phone")["Phone"] == "+1 305 555 0002"
    assert contact(h, "phone")["phone"] == "+1 305 555 0002"
