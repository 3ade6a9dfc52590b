"""A HubSpot create refused because HubSpot already holds the email is linked, not rejected.

End to end on the sandbox with the real SDKs: the sync plans a contact create for a
new Salesforce lead; HubSpot gains a contact with that email before the plan is
applied (another app created it, or it was inside the search lag); the 409 names it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from commands.sync_views import print_report
from integrations.base import WriteResult, WriteRow
from sync.apply_adopt import holder_of
from sync.runs import apply_saved
from tests.e2e.support import Harness, connectors

LINKED_LEAD, LINKED_CONTACT = "00Q5e0000000001EAA", "51000000001"  # seeded pair, one email
EMAIL = "late.arrival@pelican.example"
MESSAGE = "Contact already exists. Existing ID: 123"


@pytest.fixture
def harness(make_sandbox: Any, tmp_path: Path) -> Any:
    sb = make_sandbox(size=6, rate_limits=False, search_lag_seconds=0)
    h = Harness(sb, tmp_path)
    assert h.sync().exit_code == 0
    yield h
    h.close()


def new_lead(h: Harness) -> str:
    fields = {"FirstName": "Lara", "LastName": "Late", "Company": "Pelican", "Email": EMAIL}
    made = connectors(h.sb)["salesforce"].create("Lead", [WriteRow(fields)])[0]
    assert made.ok and made.id
    return made.id


def planned(h: Harness, tmp_path: Path, lead: str) -> Path:
    """Save a plan that creates the lead's HubSpot contact (nothing written yet)."""
    plan = tmp_path / "plan.json"
    report = h.sync(plan_out=plan)
    assert [(c.system, c.source_id or c.key) for c in report.plan.creates] == [("hubspot", lead)]
    return plan


def apply(h: Harness, plan: Path) -> Any:
    return apply_saved(h.store, connectors(h.sb), plan, datetime.now(UTC))


def contacts_with(h: Harness, email: str) -> list[str]:
    found = connectors(h.sb)["hubspot"].read_all("contacts", ["email"])
    return [r.id for r in found if str(r.fields.get("email") or "").casefold() == email]


def test_a_contact_hubspot_gained_since_the_read_is_linked_in_the_same_run(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lead = new_lead(harness)
    plan = planned(harness, tmp_path, lead)
    other_app = connectors(harness.sb)["hubspot"].create(
        "contacts", [WriteRow({"email": EMAIL.upper(), "jobtitle": "Buyer"})]
    )[0]
    assert other_app.ok and other_app.id

    report = apply(harness, plan)

    tally = report.tally
    assert report.exit_code == 0 and tally.rejected == [] and tally.created["hubspot"] == 0
    assert [(x["record_id"], x["source"]) for x in tally.linked] == [
        (other_app.id, ["salesforce", lead])
    ]
    assert harness.partner("salesforce", lead) == other_app.id
    assert contacts_with(harness, EMAIL) == [other_app.id]
    print_report(report, as_json=False, dry_run=False)
    printed = " ".join(capsys.readouterr().out.split())
    assert f"linked hubspot contacts {other_app.id} to salesforce {lead}" in printed
    assert [r for r in harness.store.reviews() if r.kind in ("rejected", "conflict")] == []
    journal = harness.store.journal_for_run(report.run_id)
    assert journal and {(e.state, e.record_id) for e in journal} == {("skipped", other_app.id)}
    stable = harness.store.links_for_ids("hubspot", [other_app.id])[other_app.id].stable_id
    assert harness.store.bases_for([stable]).get(stable, {}) == {}

    rerun = harness.sync()  # the new pair is compared like any fresh match
    assert rerun.exit_code == 0 and rerun.plan.creates == []
    assert rerun.tally is not None and rerun.tally.linked == []
    assert contacts_with(harness, EMAIL) == [other_app.id]
    assert harness.one("hubspot", "contacts", other_app.id, ["lastname"]) == {"lastname": "Late"}
    assert harness.sync().plan.creates == []


def test_a_holder_linked_to_another_person_goes_to_review(harness: Harness, tmp_path: Path) -> None:
    lead = new_lead(harness)
    plan = planned(harness, tmp_path, lead)
    # Someone gives the already linked contact the new lead's email (through the API,
    # so HubSpot's unique index holds it).
    moved = connectors(harness.sb)["hubspot"].update(
        "contacts", [WriteRow({"email": EMAIL}, id=LINKED_CONTACT)]
    )
    assert moved[0].ok

    report = apply(harness, plan)

    assert report.tally.linked == [] and report.tally.rejected == []
    assert report.tally.created["hubspot"] == 0
    conflicts = [r for r in harness.store.reviews() if r.kind == "conflict"]
    assert [(r.system, r.record_id) for r in conflicts] == [("hubspot", LINKED_CONTACT)]
    assert conflicts[0].detail["records"] == [["salesforce", lead], ["hubspot", LINKED_CONTACT]]
    assert [r for r in harness.store.reviews() if r.kind == "rejected"] == []
    assert harness.partner("salesforce", LINKED_LEAD) == LINKED_CONTACT
    assert harness.store.links_for_ids("salesforce", [lead]) == {}
    assert contacts_with(harness, EMAIL) == [LINKED_CONTACT]


def test_one_sided_ids_of_the_lead_and_the_holder_are_merged(
    harness: Harness, tmp_path: Path
) -> None:
    lead = new_lead(harness)
    plan = planned(harness, tmp_path, lead)
    holder = connectors(harness.sb)["hubspot"].create("contacts", [WriteRow({"email": EMAIL})])[0]
    assert holder.ok and holder.id
    # Rules runs gave each side its own stable id before any sync matched them.
    store = harness.store
    lead_id, contact_id = store.new_entities("person", 2)
    store.link(lead_id, "salesforce", "Lead", lead)
    store.link(contact_id, "hubspot", "contacts", holder.id)

    report = apply(harness, plan)

    assert report.exit_code == 0 and [x["stable_id"] for x in report.tally.linked] == [lead_id]
    assert harness.partner("salesforce", lead) == holder.id
    assert store.resolve_entities([contact_id]) == {contact_id: lead_id}
    assert contacts_with(harness, EMAIL) == [holder.id]


@pytest.mark.parametrize(
    ("system", "result", "holder"),
    [
        ("hubspot", WriteResult(False, error_code="CONFLICT", message=MESSAGE), "123"),
        ("hubspot", WriteResult(False, error_code="VALIDATION_ERROR", message=MESSAGE), None),
        ("hubspot", WriteResult(False, error_code="CONFLICT", message="Duplicate"), None),
        ("salesforce", WriteResult(False, error_code="CONFLICT", message=MESSAGE), None),
        ("hubspot", WriteResult(True, id="7", error_code="CONFLICT", message=MESSAGE), None),
    ],
)
def test_only_a_hubspot_conflict_naming_a_record_is_adopted(
    system: str, result: WriteResult, holder: str | None
) -> None:
    assert holder_of(system, result) == holder
