"""The org's rules as the real API applies them, one test per behaviour (issue 4, Salesforce)."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.sandbox.clients import salesforce_client
from tests.sandbox.salesforce_support import admin, sandbox, shared_sandbox

__all__ = ["sandbox", "shared_sandbox"]


def _refusal(call: Any, *args: Any) -> dict[str, Any]:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        call(*args)
    content: Any = caught.value.content
    return dict(content[0])


def _user(sf: Any, name: str, **extra: Any) -> str:
    return str(
        sf.User.create(
            {"LastName": name, "Email": f"{name}@example.com", "IsActive": True, **extra}
        )["id"]
    )


def test_required_fields_missing(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    error = _refusal(sf.Lead.create, {"FirstName": "No"})
    assert error == {
        "errorCode": "REQUIRED_FIELD_MISSING",
        "fields": ["LastName", "Company"],
        "message": "Required fields are missing: [LastName, Company]",
    }


def test_restricted_picklist_refuses_unknown_value(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    error = _refusal(sf.Lead.create, {"LastName": "A", "Company": "B", "Status": "Hot lead"})
    assert error["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert error["fields"] == ["Status"]


def test_unrestricted_picklist_accepts_any_text(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    record_id = sf.Lead.create({"LastName": "A", "Company": "B", "Rating": "Lukewarm"})["id"]
    assert sf.Lead.get(record_id)["Rating"] == "Lukewarm"


def test_field_the_integration_user_cannot_edit(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    record_id = sf.Lead.create({"LastName": "A", "Company": "B"})["id"]
    error = _refusal(sf.Lead.update, record_id, {"Contact_Verified_At__c": "2026-03-10T18:00:00Z"})
    assert error["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert error["fields"] == ["Contact_Verified_At__c"]


def test_inactive_user_cannot_own_a_task(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    user_id = _user(sf, "leaver")
    admin(sandbox, "set_user_active", {"user_id": user_id, "active": False})
    error = _refusal(sf.Task.create, {"Subject": "Call", "OwnerId": user_id})
    assert error["errorCode"] == "INACTIVE_OWNER_OR_USER"


def test_queue_cannot_own_a_task_but_can_own_a_lead(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    queue_id = sf.Group.create({"Name": "Inbound", "Type": "Queue"})["id"]
    assert sf.Lead.create({"LastName": "Q", "Company": "C", "OwnerId": queue_id})["success"]
    error = _refusal(sf.Task.create, {"Subject": "Call", "OwnerId": queue_id})
    assert error["errorCode"] == "FIELD_INTEGRITY_EXCEPTION" and error["fields"] == ["OwnerId"]


def test_task_activity_date_takes_a_date_only(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    error = _refusal(sf.Task.create, {"Subject": "Call", "ActivityDate": "2026-03-10T18:00:00Z"})
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    task_id = sf.Task.create(
        {
            "Subject": "Call",
            "ActivityDate": "2026-03-10",
            "ReminderDateTime": "2026-03-10T15:30:00-02:00",
        }
    )["id"]
    task = sf.Task.get(task_id)
    assert (task["ActivityDate"], task["ReminderDateTime"]) == (
        "2026-03-10",
        "2026-03-10T17:30:00.000+0000",
    )


def test_converted_lead_is_read_only(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    lead_id = sf.Lead.create({"LastName": "Conv", "Company": "Acme", "Email": "c@example.com"})[
        "id"
    ]
    made = admin(sandbox, "convert_lead", {"lead_id": lead_id})
    lead = sf.Lead.get(lead_id)
    assert lead["IsConverted"] is True and lead["ConvertedContactId"] == made["contactId"]
    assert sf.Contact.get(made["contactId"])["Email"] == "c@example.com"
    error = _refusal(sf.Lead.update, lead_id, {"Rating": "Hot"})
    assert error["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"


def test_duplicate_rules_allow_by_default(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    person = {"FirstName": "Ann", "LastName": "Lee", "Company": "A", "Email": "ann@example.com"}
    first, second = sf.Lead.create(person)["id"], sf.Lead.create(person)["id"]
    assert first != second


@pytest.mark.parametrize("obj", ["Lead", "Contact"])
def test_duplicate_rules_block_when_switched(sandbox: Any, obj: str) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "duplicate_rules", {"action": "block"})
    person = {"FirstName": "Ann", "LastName": "Lee", "Email": "ann@example.com"}
    person.update({"Company": "A"} if obj == "Lead" else {})
    getattr(sf, obj).create(person)
    error = _refusal(getattr(sf, obj).create, {**person, "Email": "ANN@example.com"})
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    assert getattr(sf, obj).create({**person, "FirstName": "Bo"})["success"]


def test_duplicate_rules_match_leads_and_contacts_across(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "duplicate_rules", {"action": "block"})
    person = {"FirstName": "Cy", "LastName": "Ng", "Email": "cy@example.com"}
    sf.Contact.create(person)
    error = _refusal(sf.Lead.create, {**person, "Company": "A"})
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    other = {"FirstName": "Di", "LastName": "Ray", "Email": "di@example.com"}
    sf.Lead.create({**other, "Company": "A"})
    assert _refusal(sf.Contact.create, other)["errorCode"] == "DUPLICATES_DETECTED"


def test_converting_a_lead_is_not_blocked_by_its_own_duplicate(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    admin(sandbox, "duplicate_rules", {"action": "block"})
    person = {"FirstName": "Ed", "LastName": "Oh", "Email": "ed@example.com", "Company": "E"}
    lead_id = sf.Lead.create(person)["id"]
    made = admin(sandbox, "convert_lead", {"lead_id": lead_id})
    assert sf.Contact.get(made["contactId"])["Email"] == "ed@example.com"
    assert sf.Lead.get(lead_id)["IsConverted"] is True


def test_merge_leaves_loser_deleted_with_master_record_id(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    master = sf.Contact.create({"LastName": "Keep"})["id"]
    loser = sf.Contact.create({"LastName": "Lose"})["id"]
    task = sf.Task.create({"Subject": "Follow up", "WhoId": loser})["id"]
    admin(sandbox, "merge", {"master_id": master, "loser_ids": [loser]})
    rows = sf.query_all(
        f"SELECT Id, IsDeleted, MasterRecordId FROM Contact WHERE Id = '{loser}'",
        include_deleted=True,
    )["records"]
    assert [(r["IsDeleted"], r["MasterRecordId"]) for r in rows] == [(True, master)]
    assert sf.query(f"SELECT Id FROM Contact WHERE Id = '{loser}'")["totalSize"] == 0
    assert sf.Task.get(task)["WhoId"] == master


def test_merge_moves_every_child_to_the_master(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    master = sf.Account.create({"Name": "Acme"})["id"]
    loser = sf.Account.create({"Name": "ACME Inc"})["id"]
    contact = sf.Contact.create({"LastName": "Kid", "AccountId": loser})["id"]
    deal = sf.Opportunity.create(
        {"Name": "D", "StageName": "Prospecting", "CloseDate": "2026-04-01", "AccountId": loser}
    )["id"]
    task = sf.Task.create({"Subject": "Call", "WhatId": loser})["id"]
    admin(sandbox, "merge", {"master_id": master, "loser_ids": [loser]})
    assert sf.Contact.get(contact)["AccountId"] == master
    assert sf.Opportunity.get(deal)["AccountId"] == master
    assert sf.Task.get(task)["WhatId"] == master
    gone = sf.query_all(f"SELECT MasterRecordId FROM Account WHERE Id = '{loser}'", True)
    assert gone["records"][0]["MasterRecordId"] == master


def test_person_accounts(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    account_id = sf.Account.create(
        {"FirstName": "Pat", "LastName": "Diaz", "PersonEmail": "pat@example.com"}
    )["id"]
    account = sf.query(
        "SELECT Name, IsPersonAccount, PersonEmail, PersonContactId FROM Account "
        "WHERE IsPersonAccount = TRUE"
    )["records"]
    assert [(a["Name"], a["PersonEmail"]) for a in account] == [("Pat Diaz", "pat@example.com")]
    contact = sf.Contact.get(account[0]["PersonContactId"])
    assert contact["IsPersonAccount"] is True and contact["AccountId"] == account_id


def test_users_with_managers(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    boss = _user(sf, "boss")
    _user(sf, "report", ManagerId=boss)
    rows = sf.query("SELECT LastName, Manager.Email FROM User WHERE ManagerId != NULL")["records"]
    assert [(r["LastName"], r["Manager"]["Email"]) for r in rows] == [
        ("report", "boss@example.com")
    ]


def test_edit_as_another_user_moves_modstamp(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    lead_id = sf.Lead.create({"LastName": "A", "Company": "B"})["id"]
    before = sf.Lead.get(lead_id)
    admin(sandbox, "clock", {"advance_seconds": 2})
    admin(sandbox, "edit_as_other_user", {"id": lead_id, "fields": {"Rating": "Cold"}})
    after = sf.Lead.get(lead_id)
    assert after["Rating"] == "Cold" and after["SystemModstamp"] > before["SystemModstamp"]
    assert after["LastModifiedById"] != before["LastModifiedById"]
