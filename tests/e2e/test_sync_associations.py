"""Company links: Salesforce AccountId on contacts and opportunities -> HubSpot associations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from integrations.base import WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync.apply_associations import FIELD_PREFIX
from sync.runs import undo_saved
from tests.e2e.support import Harness, admin, connectors

OPPORTUNITY = "0065e0000000005AAA"  # seeded on a business account; no HubSpot deal yet
CONTACT = "0035e0000000003AAA"  # linked by email to a HubSpot contact


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=20, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("associations"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def company_of(h: Harness, account: str) -> str:
    return h.partner("salesforce", account)


def account(h: Harness, object: str, record_id: str) -> str:
    return str(h.one("salesforce", object, record_id, ["AccountId"])["AccountId"])


def associated(h: Harness, object: str, record_id: str) -> list[str]:
    hubspot: Any = connectors(h.sb)["hubspot"]
    return list(hubspot.read_associations(object, "companies", [record_id]).get(record_id, []))


def test_a_deal_created_from_an_opportunity_gets_its_company(h: Harness) -> None:
    deal = h.partner("salesforce", OPPORTUNITY)
    assert associated(h, "deals", deal) == [company_of(h, account(h, "Opportunity", OPPORTUNITY))]


def test_a_contact_moved_to_another_account_is_associated_with_its_company(h: Harness) -> None:
    contact = h.partner("salesforce", CONTACT)
    old = account(h, "Contact", CONTACT)
    new = next(
        link.record_id
        for link in h.store.links_of("salesforce", "Account")
        if link.record_id != old
    )
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": CONTACT, "fields": {"AccountId": new}})
    report = h.sync()
    planned = [(a.from_object, a.from_id, a.to_id) for a in report.plan.associations]
    assert planned == [("contacts", contact, company_of(h, new))]
    assert company_of(h, new) in associated(h, "contacts", contact)
    journal = h.store.journal_for_run(report.run_id or 0, "written")
    assert [
        (e.record_id, e.field, e.after) for e in journal if e.field.startswith(FIELD_PREFIX)
    ] == [(contact, FIELD_PREFIX + "companies", company_of(h, new))]
    assert h.sync().plan.associations == []  # made once; never planned again
    undone, _ = undo_saved(h.store, connectors(h.sb), report.run_id or 0, False, datetime.now(UTC))
    assert [r["field"] for r in undone.restored] == [FIELD_PREFIX + "companies"]
    assert company_of(h, new) not in associated(h, "contacts", contact)
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": CONTACT, "fields": {"AccountId": old}})
    h.sync()


def test_a_blank_account_removes_no_association(h: Harness) -> None:
    contact = h.partner("salesforce", CONTACT)
    before = associated(h, "contacts", contact)
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": CONTACT, "fields": {"AccountId": None}})
    report = h.sync()
    assert report.plan.associations == []
    assert associated(h, "contacts", contact) == before


def test_a_new_account_and_its_opportunity_are_created_and_associated_in_one_run(
    h: Harness,
) -> None:
    salesforce = connectors(h.sb)["salesforce"]
    firm = salesforce.create("Account", [WriteRow({"Name": "Fresh Gutters Ltd"})])[0]
    deal = WriteRow(
        {
            "Name": "Fresh gutters",
            "AccountId": firm.id,
            "StageName": "Prospecting",
            "CloseDate": "2026-12-31",
        }
    )
    made = salesforce.create("Opportunity", [deal])[0]
    assert firm.ok and made.ok, (firm, made)
    report = h.sync()
    planned = [(a.from_source, a.to_source) for a in report.plan.associations]
    assert planned == [(made.id, firm.id)]
    assert associated(h, "deals", h.partner("salesforce", str(made.id))) == [
        company_of(h, str(firm.id))
    ]
