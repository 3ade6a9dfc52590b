"""Composite sObject Collections through `sf.restful`: per-record results, limits, allOrNone."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce.exceptions import SalesforceMalformedRequest

from tests.sandbox.clients import salesforce_client
from tests.sandbox.salesforce_support import sandbox, shared_sandbox

__all__ = ["sandbox", "shared_sandbox"]


def _lead(name: str, **extra: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": name, "Company": "Acme", **extra}


def test_create_update_retrieve_delete(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    made = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"allOrNone": False, "records": [_lead("A"), _lead("B")]},
    )
    assert [r["success"] for r in made] == [True, True]
    ids = [r["id"] for r in made]
    changes = [{"attributes": {"type": "Lead"}, "Id": i, "Rating": "Hot"} for i in ids]
    updated = sf.restful(
        "composite/sobjects", method="PATCH", json={"allOrNone": False, "records": changes}
    )
    assert [r["id"] for r in updated] == ids
    got = sf.restful(
        "composite/sobjects/Lead", params={"ids": ",".join(ids), "fields": "Id,Rating"}
    )
    assert [(r["Id"], r["Rating"]) for r in got] == [(i, "Hot") for i in ids]
    gone = sf.restful(
        "composite/sobjects", method="DELETE", params={"ids": ",".join(ids), "allOrNone": "false"}
    )
    assert [(r["id"], r["success"]) for r in gone] == [(i, True) for i in ids]


def test_record_level_failures_arrive_inside_200_in_input_order(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    records = [_lead("Ok1"), {"attributes": {"type": "Lead"}, "Company": "NoName"}, _lead("Ok2")]
    answer = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": records}
    )
    assert [r["success"] for r in answer] == [True, False, True]
    assert answer[1]["id"] is None
    assert answer[1]["errors"] == [
        {
            "statusCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [LastName]",
            "fields": ["LastName"],
        }
    ]
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 2


def test_all_or_none_rolls_everything_back(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    records = [_lead("Ok1"), _lead("Bad", Status="Not a status")]
    answer = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": True, "records": records}
    )
    codes = [r["errors"][0]["statusCode"] for r in answer]
    assert codes == ["ALL_OR_NONE_OPERATION_ROLLED_BACK", "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"]
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == 0


def test_upsert_collection_reports_created_per_record(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    sf.toolingexecute(
        "sobjects/CustomField",
        method="POST",
        data={
            "FullName": "Lead.HubSpot_Id__c",
            "Metadata": {
                "type": "Text",
                "label": "HubSpot id",
                "length": 32,
                "externalId": True,
                "unique": True,
            },
        },
    )
    sf.Lead.create({"LastName": "Old", "Company": "A", "HubSpot_Id__c": "1"})
    answer = sf.restful(
        "composite/sobjects/Lead/HubSpot_Id__c",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [_lead("Old2", HubSpot_Id__c="1"), _lead("New", HubSpot_Id__c="2")],
        },
    )
    assert [(r["success"], r["created"]) for r in answer] == [(True, False), (True, True)]


def test_more_than_200_records_is_400(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.restful(
            "composite/sobjects",
            method="POST",
            json={"allOrNone": False, "records": [_lead(f"L{i}") for i in range(201)]},
        )
    content: Any = caught.value.content
    assert content == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]


def test_update_takes_the_id_key_in_any_case(sandbox: Any) -> None:
    # Field names are case-insensitive; Salesforce's own collection examples write "id".
    sf = salesforce_client(sandbox)
    lead_id = sf.Lead.create({"LastName": "Low", "Company": "Acme"})["id"]
    answer = sf.restful(
        "composite/sobjects",
        method="PATCH",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Lead"}, "id": lead_id, "Rating": "Hot"},
                {"attributes": {"type": "Lead"}, "Rating": "Cold"},
            ],
        },
    )
    assert answer[0] == {"id": lead_id, "success": True, "errors": []}
    assert answer[1]["success"] is False and answer[1]["id"] is None
    assert answer[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert sf.Lead.get(lead_id)["Rating"] == "Hot"


def test_picklists_inside_a_collection(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    records = [_lead("Junk", Rating="Lukewarm"), _lead("Bad", Status="Hot lead")]
    answer = sf.restful(
        "composite/sobjects", method="POST", json={"allOrNone": False, "records": records}
    )
    assert [r["success"] for r in answer] == [True, False]
    assert answer[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert answer[1]["errors"][0]["fields"] == ["Status"]
    assert sf.Lead.get(answer[0]["id"])["Rating"] == "Lukewarm"


def test_one_collection_write_shares_one_systemmodstamp(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    made = sf.restful(
        "composite/sobjects",
        method="POST",
        json={"records": [_lead(f"S{i}") for i in range(5)]},
    )
    rows = sf.query("SELECT Id, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id")["records"]
    assert {r["SystemModstamp"] for r in rows} == {rows[0]["SystemModstamp"]}
    assert [r["Id"] for r in rows] == sorted(m["id"] for m in made)
