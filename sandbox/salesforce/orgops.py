"""What happens in an org beside the integration's calls: merges, conversions, other users."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sandbox.salesforce import history
from sandbox.salesforce.errors import RecordError
from sandbox.salesforce.org import Org, derive
from sandbox.salesforce.writes import existing

OTHER_USER_MARK = "Changed by another user"
# The field "someone else" changes on a concurrent edit, per object.
CONCURRENT_EDIT_FIELD = {
    "Lead": "Title",
    "Contact": "Title",
    "Task": "Description",
    "Account": "Phone",
    "Opportunity": "LeadSource",
}
CONVERTED_STATUS = "Closed - Converted"


def _save(org: Org, obj: str, record: dict[str, Any], user_id: str | None = None) -> None:
    org.stamp(record, user_id)
    derive(obj, record)
    org.store.put(obj, record)


def merge(org: Org, master_id: str, loser_ids: list[str]) -> dict[str, Any]:
    """Merge losers into a master: losers deleted with MasterRecordId, their children moved."""
    with org.store.lock:
        obj, master = existing(org.store, master_id)
        for loser_id in loser_ids:
            loser_obj, loser = existing(org.store, loser_id, obj)
            loser.update(IsDeleted=True, MasterRecordId=master["Id"])
            _save(org, loser_obj, loser)
            _reparent(org, obj, loser["Id"], master["Id"])
        _save(org, obj, master)
    return {"id": master["Id"], "mergedIds": loser_ids}


def _child_links(org: Org, parent: str) -> list[tuple[str, str]]:
    """(object, field) of every editable lookup that can point at a `parent` record.

    Read-only lookups (MasterRecordId, ConvertedContactId, PersonContactId) stay as
    they are, as in a real merge.
    """
    return [
        (obj.name, meta.name)
        for obj in org.objects.values()
        for meta in obj.fields.values()
        if meta.type == "reference" and meta.updateable and parent in meta.reference_to
    ]


def _reparent(org: Org, parent: str, old_id: str, new_id: str) -> None:
    """Point every live child of the loser (tasks, events, contacts, deals) at the master."""
    for obj, name in _child_links(org, parent):
        rows = org.store.select(
            "SELECT data FROM records WHERE obj = ? AND deleted = 0 AND "
            f"json_extract(data, '$.{name}') = ?",
            [obj, old_id],
        )
        for (data,) in rows:
            record = json.loads(data)
            record[name] = new_id
            _save(org, obj, record)


def convert_lead(org: Org, lead_id: str, with_opportunity: bool = True) -> dict[str, Any]:
    """Convert a lead: Account, Contact (and Opportunity) created, the lead made read-only."""
    with org.store.transaction():
        _, lead = existing(org.store, lead_id, "Lead")
        if lead.get("IsConverted"):
            raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
        # Marked first: the new contact must not count as a duplicate of its own lead.
        lead["IsConverted"] = True
        org.store.put("Lead", lead)
        owner = lead.get("OwnerId") if str(lead.get("OwnerId", "")).startswith("005") else None
        account_id = org.create(
            "Account",
            {
                "Name": lead.get("Company") or lead["LastName"],
                **({"OwnerId": owner} if owner else {}),
            },
        )
        person = {k: lead.get(k) for k in ("FirstName", "LastName", "Email", "Phone", "Title")}
        contact_id = org.create(
            "Contact", {**person, "AccountId": account_id, **({"OwnerId": owner} if owner else {})}
        )
        opportunity_id = None
        if with_opportunity:
            close = (org.clock.now() + timedelta(days=30)).date().isoformat()
            opportunity_id = org.create(
                "Opportunity",
                {
                    "Name": f"{lead.get('Company') or lead['LastName']}-",
                    "AccountId": account_id,
                    "StageName": "Prospecting",
                    "CloseDate": close,
                },
            )
        lead.update(
            IsConverted=True,
            Status=CONVERTED_STATUS,
            ConvertedDate=org.clock.now().date().isoformat(),
            ConvertedAccountId=account_id,
            ConvertedContactId=contact_id,
            ConvertedOpportunityId=opportunity_id,
        )
        _save(org, "Lead", lead)
    return {
        "leadId": lead["Id"],
        "accountId": account_id,
        "contactId": contact_id,
        "opportunityId": opportunity_id,
    }


def set_active(org: Org, user_id: str, active: bool) -> dict[str, Any]:
    """Activate or deactivate a user."""
    with org.store.lock:
        _, user = existing(org.store, user_id, "User")
        user["IsActive"] = active
        _save(org, "User", user)
    return {"id": user["Id"], "IsActive": active}


def other_user_id(org: Org) -> str:
    """An active user other than the integration user (created once when missing)."""
    rows = org.store.select(
        "SELECT id FROM records WHERE obj = 'User' AND deleted = 0 AND id != ? AND "
        "json_extract(data, '$.IsActive') = 1 ORDER BY id LIMIT 1",
        [org.integration_user_id],
    )
    if rows:
        return str(rows[0][0])
    return org.create(
        "User",
        {
            "LastName": "Admin",
            "FirstName": "Org",
            "IsActive": True,
            "Email": "admin@crmops.sandbox",
        },
    )


def edit_as_other_user(org: Org, record_id: str, fields: dict[str, Any] | None) -> dict[str, Any]:
    """Change a record as another user would (their id in LastModifiedById, times move)."""
    with org.store.lock:
        obj, record = existing(org.store, record_id)
        if fields is None:
            name = CONCURRENT_EDIT_FIELD.get(obj)
            fields = {name: OTHER_USER_MARK} if name else {}
        before = dict(record)
        record.update(fields)
        _save(org, obj, record, other_user_id(org))
        history.track(org, obj, before, record, other_user_id(org))
    return org.render(obj, record)


def fill_person_account(record: dict[str, Any]) -> bool:
    """Shape an Account created with LastName and no Name as a Person Account; True if so."""
    if record.get("Name") or not record.get("LastName"):
        return False
    record["IsPersonAccount"] = True
    record["Name"] = " ".join(p for p in (record.get("FirstName"), record["LastName"]) if p)
    return True


def link_person_contact(org: Org, account: dict[str, Any]) -> None:
    """The hidden Contact every Person Account has (PersonContactId)."""
    contact = {
        "FirstName": account.get("FirstName"),
        "LastName": account["LastName"],
        "Email": account.get("PersonEmail"),
        "AccountId": account["Id"],
        "HasOptedOutOfEmail": bool(account.get("PersonHasOptedOutOfEmail")),
    }
    contact_id = org.create("Contact", {k: v for k, v in contact.items() if v is not None})
    found = org.store.get(contact_id)
    assert found is not None
    found[1]["IsPersonAccount"] = True
    org.store.put("Contact", found[1])
    account["PersonContactId"] = contact_id
    org.store.put("Account", account)
