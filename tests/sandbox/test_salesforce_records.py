"""Single-record sObject calls through simple-salesforce: create, get, update, delete, upsert."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from sandbox.salesforce.ids import to18
from tests.sandbox.clients import salesforce_client, salesforce_raw
from tests.sandbox.salesforce_support import sandbox, shared_sandbox

__all__ = ["sandbox", "shared_sandbox"]
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def _provision(sf: Any, full_name: str, **metadata: Any) -> None:
    sf.toolingexecute(
        "sobjects/CustomField",
        method="POST",
        data={
            "FullName": full_name,
            "Metadata": {"type": "Text", "label": "x", "length": 64, **metadata},
        },
    )


def test_create_returns_201_body_and_record_shape(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    created = sf.Lead.create({"LastName": "Ng", "Company": "Acme", "Email": "ng@example.com"})
    assert created["success"] is True and created["errors"] == []
    record_id = created["id"]
    assert len(record_id) == 18 and record_id.startswith("00Q")
    assert to18(record_id[:15]) == record_id
    record = sf.Lead.get(record_id)
    assert record["attributes"] == {
        "type": "Lead",
        "url": f"/services/data/v59.0/sobjects/Lead/{record_id}",
    }
    assert record["Email"] == "ng@example.com" and record["IsDeleted"] is False
    assert record["Status"] == "Open - Not Contacted"
    for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        assert STAMP.match(record[name]), record[name]


def test_update_moves_systemmodstamp_and_answers_204(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    record_id = sf.Lead.create({"LastName": "Ng", "Company": "Acme"})["id"]
    before = sf.Lead.get(record_id)["SystemModstamp"]
    salesforce_raw(sandbox).post(
        sandbox.salesforce_url + "/__admin/clock", json={"advance_seconds": 5}
    )
    assert sf.Lead.update(record_id, {"Rating": "Warm"}) == 204
    after = sf.Lead.get(record_id)
    assert after["Rating"] == "Warm" and after["SystemModstamp"] > before


def test_delete_then_get_is_404(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    record_id = sf.Lead.create({"LastName": "Ng", "Company": "Acme"})["id"]
    assert sf.Lead.delete(record_id) == 204
    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Lead.get(record_id)
    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"  # type: ignore[index]


def test_upsert_by_external_id_creates_then_updates(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    _provision(sf, "Lead.HubSpot_Id__c", externalId=True, unique=True)
    raw = salesforce_raw(sandbox)
    url = f"{sandbox.salesforce_url}/services/data/v59.0/sobjects/Lead/HubSpot_Id__c/hs-1"
    assert sf.Lead.upsert("HubSpot_Id__c/hs-1", {"LastName": "Ng", "Company": "A"}) == 201
    again = raw.patch(url, json={"LastName": "Ngo"})
    assert again.status_code == 200
    assert again.json()["created"] is False and again.json()["success"] is True
    found = sf.query("SELECT LastName, HubSpot_Id__c FROM Lead")["records"]
    assert [(r["LastName"], r["HubSpot_Id__c"]) for r in found] == [("Ngo", "hs-1")]


def test_upsert_with_two_matches_is_300(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    _provision(sf, "Lead.Legacy_Key__c", externalId=True)
    sf.Lead.create({"LastName": "A", "Company": "A", "Legacy_Key__c": "k"})
    sf.Lead.create({"LastName": "B", "Company": "A", "Legacy_Key__c": "k"})
    with pytest.raises(SalesforceMoreThanOneRecord):
        sf.Lead.upsert("Legacy_Key__c/k", {"LastName": "C"})


def test_unknown_field_is_invalid_field(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Lead.create({"LastName": "Ng", "Company": "A", "Crmops_Score__c": 5})
    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"  # type: ignore[index]


def test_deleted_and_updated_windows(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    start = datetime.now(UTC) - timedelta(minutes=1)
    kept = sf.Lead.create({"LastName": "Kept", "Company": "X"})["id"]
    gone = sf.Lead.create({"LastName": "Gone", "Company": "X"})["id"]
    sf.Lead.delete(gone)
    end = datetime.now(UTC) + timedelta(minutes=1)
    deleted = sf.Lead.deleted(start, end)
    assert [r["id"] for r in deleted["deletedRecords"]] == [gone]
    assert sf.Lead.updated(start, end)["ids"] == [kept]


def test_upsert_value_is_url_decoded(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    _provision(sf, "Lead.HubSpot_Id__c", externalId=True, unique=True)
    assert sf.Lead.upsert("HubSpot_Id__c/a%40b c", {"LastName": "Ng", "Company": "A"}) == 201
    assert sf.query("SELECT HubSpot_Id__c FROM Lead")["records"][0]["HubSpot_Id__c"] == "a@b c"
