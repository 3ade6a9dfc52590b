"""HubSpot stand-in: single-record endpoints, list paging, auth and the portal id, via the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.contacts import SimplePublicObjectInput
from hubspot.crm.objects import SimplePublicObjectInputForCreate

from tests.sandbox.clients import hubspot_client, hubspot_raw
from tests.sandbox.hubspot_helpers import new_contact


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def test_create_answers_201_with_string_properties(sb: Any) -> None:
    client = hubspot_client(sb)
    body = SimplePublicObjectInputForCreate(properties={"email": "a@x.com", "company_size": "12"})
    created, status, _ = client.crm.objects.basic_api.create_with_http_info("contacts", body)
    assert status == 201
    assert created.id.isdigit()
    assert created.properties["company_size"] == "12"
    assert created.properties["lastmodifieddate"].endswith("Z")


def test_objects_carry_id_string_properties_times_and_archived(sb: Any) -> None:
    raw = hubspot_raw(sb)
    made = raw.post(
        f"{sb.hubspot_url}/crm/v3/objects/contacts",
        json={"properties": {"email": "shape@x.com", "company_size": 12}},
    ).json()
    assert {"id", "properties", "createdAt", "updatedAt", "archived"} <= set(made)
    assert made["archived"] is False and made["createdAt"].endswith("Z")
    assert all(isinstance(v, str) for v in made["properties"].values() if v is not None)
    assert made["properties"]["company_size"] == "12"
    assert made["properties"]["hs_object_id"] == made["id"]


def test_get_patch_delete_statuses(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "b@x.com")
    got, status, _ = client.crm.contacts.basic_api.get_by_id_with_http_info(
        contact_id, properties=["email"]
    )
    assert (status, got.properties["email"]) == (200, "b@x.com")
    patch = SimplePublicObjectInput(properties={"firstname": "Bea"})
    updated, status, _ = client.crm.contacts.basic_api.update_with_http_info(contact_id, patch)
    assert (status, updated.properties["firstname"]) == (200, "Bea")
    _, status, _ = client.crm.contacts.basic_api.archive_with_http_info(contact_id)
    assert status == 204
    raw = hubspot_raw(sb).get(f"{sb.hubspot_url}/crm/v3/objects/contacts/{contact_id}")
    assert raw.status_code == 404


def test_get_by_unique_property(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "Case@X.com")
    got = client.crm.contacts.basic_api.get_by_id("case@x.com", id_property="email")
    assert got.id == contact_id


def test_list_pages_and_omits_paging_on_last_page(sb: Any) -> None:
    client = hubspot_client(sb)
    ids = [new_contact(client, f"p{n}@x.com") for n in range(5)]
    first = client.crm.contacts.basic_api.get_page(limit=3)
    assert [r.id for r in first.results] == ids[:3]
    assert first.paging.next.after and "after=" in first.paging.next.link
    second = client.crm.contacts.basic_api.get_page(limit=3, after=first.paging.next.after)
    assert [r.id for r in second.results] == ids[3:]
    assert second.paging is None
    raw = hubspot_raw(sb).get(
        f"{sb.hubspot_url}/crm/v3/objects/contacts",
        params={"limit": 3, "after": first.paging.next.after},
    )
    assert "paging" not in raw.json()


def test_list_caps_page_at_100(sb: Any) -> None:
    client = hubspot_client(sb)
    hubspot_raw(sb).post(
        f"{sb.hubspot_url}/__admin/hubspot/bulk",
        json={"type": "companies", "count": 150, "properties": {"name": "Co {n}"}},
    )
    page = client.crm.companies.basic_api.get_page(limit=500)
    assert len(page.results) == 100
    assert page.paging.next.after


def test_archived_listing_shows_archived_only(sb: Any) -> None:
    client = hubspot_client(sb)
    keep, gone = new_contact(client, "keep@x.com"), new_contact(client, "gone@x.com")
    client.crm.contacts.basic_api.archive(gone)
    archived = client.crm.contacts.basic_api.get_page(archived=True)
    assert [r.id for r in archived.results] == [gone]
    assert archived.results[0].archived is True
    assert [r.id for r in client.crm.contacts.basic_api.get_page().results] == [keep]


def test_bad_token_answers_401_with_hubspot_body(sb: Any) -> None:
    response = hubspot_raw(sb, token="wrong").get(f"{sb.hubspot_url}/crm/v3/objects/contacts")
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "error"
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert body["correlationId"] and body["message"]


def test_account_info_gives_portal_id(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, portal_id=777, rate_limits=False)
    response = hubspot_raw(sb).get(f"{sb.hubspot_url}/account-info/v3/details")
    assert (response.status_code, response.json()["portalId"]) == (200, 777)


def test_datetime_accepts_epoch_ms_and_answers_iso(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "t@x.com", demo_requested_at="1773165600000")
    got = client.crm.contacts.basic_api.get_by_id(contact_id, properties=["demo_requested_at"])
    assert got.properties["demo_requested_at"] == "2026-03-10T18:00:00.000Z"


def test_seed_loads_when_size_given(make_sandbox: Any) -> None:
    sb = make_sandbox(size=20, rate_limits=False)
    assert sb.hubspot.describe()["contacts"] > 0
    page = hubspot_client(sb).crm.contacts.basic_api.get_page(limit=100)
    assert all(r.properties["hs_object_id"] == r.id for r in page.results)


def test_archived_record_read_by_id_only_with_archived_flag(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "old@x.com")
    client.crm.contacts.basic_api.archive(contact_id)
    url = f"{sb.hubspot_url}/crm/v3/objects/contacts/{contact_id}"
    assert hubspot_raw(sb).get(url).status_code == 404
    got = client.crm.contacts.basic_api.get_by_id(contact_id, archived=True)
    assert got.archived is True and got.archived_at is not None


def test_update_and_archive_by_email(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "who@x.com")
    raw = hubspot_raw(sb)
    url = f"{sb.hubspot_url}/crm/v3/objects/contacts/WHO%40x.com?idProperty=email"
    patched = raw.patch(url, json={"properties": {"firstname": "Who"}})
    assert (patched.status_code, patched.json()["id"]) == (200, contact_id)
    assert raw.delete(url).status_code == 204
    assert client.crm.contacts.basic_api.get_page(archived=True).results[0].id == contact_id
