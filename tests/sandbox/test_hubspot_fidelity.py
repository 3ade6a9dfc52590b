"""HubSpot stand-in quirks a client meets in production, one test per behaviour."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot.crm.contacts import SimplePublicObjectInput
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    PublicObjectSearchRequest,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.objects.exceptions import ApiException

from tests.sandbox.clients import hubspot_client, hubspot_raw
from tests.sandbox.hubspot_helpers import advance, contact_batch, new_contact


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def contact_count(sb: Any) -> int:
    return len(hubspot_client(sb).crm.contacts.basic_api.get_page(limit=100).results)


def failure(call: Any, *args: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(ApiException) as caught:
        call(*args)
    return caught.value.status, json.loads(caught.value.body)


def test_duplicate_email_on_single_create_is_409_case_insensitive(sb: Any) -> None:
    client = hubspot_client(sb)
    first = new_contact(client, "Dup@X.com")
    body = SimplePublicObjectInputForCreate(properties={"email": "dup@x.COM"})
    status, error = failure(client.crm.objects.basic_api.create, "contacts", body)
    assert status == 409
    assert error["category"] == "CONFLICT" and error["status"] == "error" and error["correlationId"]
    assert error["message"] == f"Contact already exists. Existing ID: {first}"


def test_duplicate_email_fails_whole_batch_create(sb: Any) -> None:
    client = hubspot_client(sb)
    existing = new_contact(client, "taken@x.com")
    batch = contact_batch(["fresh1@x.com", "TAKEN@x.com", "fresh2@x.com"])
    status, error = failure(client.crm.objects.batch_api.create, "contacts", batch)
    assert (status, error["message"]) == (409, f"Contact already exists. Existing ID: {existing}")
    assert contact_count(sb) == 1


def test_duplicate_email_within_one_batch_fails_whole_batch(sb: Any) -> None:
    client = hubspot_client(sb)
    status, _ = failure(
        client.crm.objects.batch_api.create, "contacts", contact_batch(["a@x.com", "A@x.com"])
    )
    assert status == 409 and contact_count(sb) == 0


def test_unknown_property_fails_whole_batch_create(sb: Any) -> None:
    client = hubspot_client(sb)
    batch = contact_batch(["ok@x.com"])
    batch.inputs.append({"properties": {"email": "bad@x.com", "no_such_field": "1"}})
    status, error = failure(client.crm.objects.batch_api.create, "contacts", batch)
    assert status == 400 and error["category"] == "VALIDATION_ERROR"
    assert "PROPERTY_DOESNT_EXIST" in error["message"] and "no_such_field" in error["message"]
    assert contact_count(sb) == 0


def test_bad_enumeration_value_fails_whole_batch_update(sb: Any) -> None:
    client = hubspot_client(sb)
    ids = [
        r.id
        for r in client.crm.objects.batch_api.create(
            "contacts", contact_batch(["e1@x.com", "e2@x.com"])
        ).results
    ]
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            {"id": ids[0], "properties": {"lead_source": "Website"}},
            {"id": ids[1], "properties": {"lead_source": "Carrier pigeon"}},
        ]
    )
    status, error = failure(client.crm.objects.batch_api.update, "contacts", body)
    assert status == 400 and "INVALID_OPTION" in error["message"]
    first = client.crm.contacts.basic_api.get_by_id(ids[0], properties=["lead_source"])
    assert first.properties["lead_source"] is None


def test_task_without_hs_timestamp_is_400(sb: Any) -> None:
    client = hubspot_client(sb)
    body = SimplePublicObjectInputForCreate(properties={"hs_task_subject": "Call"})
    status, error = failure(client.crm.objects.basic_api.create, "tasks", body)
    assert status == 400 and "hs_timestamp" in error["message"]


def test_read_only_property_refuses_writes(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "ro@x.com")
    body = SimplePublicObjectInputForCreate(properties={"hs_analytics_num_visits": "9"})
    status, error = failure(client.crm.objects.basic_api.update, "contacts", contact_id, body)
    assert status == 400 and "READ_ONLY_VALUE" in error["message"]


def test_lifecycle_stage_moves_back_only_after_clearing(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "life@x.com", lifecyclestage="opportunity")
    api = client.crm.contacts.basic_api

    def stage() -> str | None:
        return api.get_by_id(contact_id, properties=["lifecyclestage"]).properties["lifecyclestage"]

    _, status, _ = api.update_with_http_info(
        contact_id, SimplePublicObjectInput(properties={"lifecyclestage": "lead"})
    )
    assert (status, stage()) == (200, "opportunity")
    api.update(contact_id, SimplePublicObjectInput(properties={"lifecyclestage": ""}))
    assert stage() is None
    api.update(contact_id, SimplePublicObjectInput(properties={"lifecyclestage": "lead"}))
    assert stage() == "lead"


def test_batch_naming_one_id_twice_is_400(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "twice@x.com", lifecyclestage="customer")
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            {"id": contact_id, "properties": {"lifecyclestage": ""}},
            {"id": contact_id, "properties": {"lifecyclestage": "lead"}},
        ]
    )
    status, _ = failure(client.crm.objects.batch_api.update, "contacts", body)
    assert status == 400


def test_modified_time_moves_on_every_write_but_not_on_archive(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "mod@x.com")
    company = client.crm.companies.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"name": "Co"})
    )
    before = client.crm.contacts.basic_api.get_by_id(contact_id).properties["lastmodifieddate"]
    advance(sb, 5)
    client.crm.contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"firstname": ""})
    )
    after_write = client.crm.contacts.basic_api.get_by_id(contact_id).properties["lastmodifieddate"]
    assert after_write > before
    company_stamp = company.properties["hs_lastmodifieddate"]
    advance(sb, 5)
    client.crm.contacts.basic_api.archive(contact_id)
    client.crm.companies.basic_api.archive(company.id)
    archived = {r.id: r for r in client.crm.contacts.basic_api.get_page(archived=True).results}
    assert archived[contact_id].properties["lastmodifieddate"] == after_write
    gone_company = client.crm.companies.basic_api.get_page(archived=True).results[0]
    assert gone_company.properties["hs_lastmodifieddate"] == company_stamp


def test_search_misses_a_recent_update_until_the_lag_passes(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "lag@x.com")
    advance(sb, 30)
    client.crm.contacts.basic_api.update(
        contact_id, SimplePublicObjectInput(properties={"firstname": "New"})
    )
    request = PublicObjectSearchRequest(
        filter_groups=[
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "New"}]}
        ]
    )
    assert client.crm.contacts.search_api.do_search(request).total == 0
    assert (
        client.crm.contacts.basic_api.get_by_id(contact_id, properties=["firstname"]).properties[
            "firstname"
        ]
        == "New"
    )
    advance(sb, 10)
    assert client.crm.contacts.search_api.do_search(request).total == 1


def test_merge_removes_loser_and_lists_it_on_winner(sb: Any) -> None:
    client = hubspot_client(sb)
    winner, loser = (
        new_contact(client, "win@x.com"),
        new_contact(client, "lose@x.com", jobtitle="Chef"),
    )
    response = hubspot_raw(sb).post(
        f"{sb.hubspot_url}/crm/v3/objects/contacts/merge",
        json={"primaryObjectId": winner, "objectIdToMerge": loser},
    )
    assert response.status_code == 200 and response.json()["id"] == winner
    merged = client.crm.contacts.basic_api.get_by_id(
        winner, properties=["hs_merged_object_ids", "jobtitle"]
    )
    assert (
        merged.properties["hs_merged_object_ids"] == loser
        and merged.properties["jobtitle"] == "Chef"
    )
    assert client.crm.contacts.basic_api.get_by_id(loser).id == winner
    listed = [r.id for r in client.crm.contacts.basic_api.get_page().results]
    assert listed == [winner]
    assert client.crm.contacts.basic_api.get_page(archived=True).results == []


def test_merge_carries_the_losers_links_and_email(sb: Any) -> None:
    client = hubspot_client(sb)
    winner, loser = new_contact(client, "keep@x.com"), new_contact(client, "old@x.com")
    company = client.crm.companies.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"name": "Co"})
    ).id
    client.crm.associations.v4.basic_api.create_default("contact", loser, "company", company)
    hubspot_raw(sb).post(
        f"{sb.hubspot_url}/crm/v3/objects/contacts/merge",
        json={"primaryObjectId": winner, "objectIdToMerge": loser},
    ).raise_for_status()
    links = client.crm.associations.v4.basic_api.get_page("contacts", winner, "companies")
    assert [r.to_object_id for r in links.results] == [company]
    by_old_email = client.crm.contacts.basic_api.get_by_id("old@x.com", id_property="email")
    assert by_old_email.id == winner


def test_gdpr_delete_leaves_nothing_behind(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "forget@x.com")
    response = hubspot_raw(sb).post(
        f"{sb.hubspot_url}/crm/v3/objects/contacts/gdpr-delete",
        json={"objectId": "forget@x.com", "idProperty": "email"},
    )
    assert (response.status_code, response.content) == (204, b"")
    assert client.crm.contacts.basic_api.get_page(archived=True).results == []
    assert (
        hubspot_raw(sb).get(f"{sb.hubspot_url}/crm/v3/objects/contacts/{contact_id}").status_code
        == 404
    )
    assert new_contact(client, "forget@x.com") != contact_id


def test_archived_email_can_be_used_again(sb: Any) -> None:
    client = hubspot_client(sb)
    old = new_contact(client, "again@x.com")
    client.crm.contacts.basic_api.archive(old)
    assert new_contact(client, "again@x.com") != old
