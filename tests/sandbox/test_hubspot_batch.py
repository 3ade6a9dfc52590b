"""HubSpot stand-in: batch read/create/update/upsert/archive through the SDK, statuses exact."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
)
from hubspot.crm.objects.exceptions import ApiException

from tests.sandbox.clients import hubspot_client, hubspot_raw
from tests.sandbox.hubspot_helpers import contact_batch


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def test_batch_create_answers_201(sb: Any) -> None:
    client = hubspot_client(sb)
    result, status, _ = client.crm.objects.batch_api.create_with_http_info(
        "contacts", contact_batch(["a@x.com", "b@x.com"], firstname="Al")
    )
    assert status == 201
    assert result.status == "COMPLETE"
    assert sorted(r.properties["email"] for r in result.results) == ["a@x.com", "b@x.com"]
    assert all(
        r.id and r.created_at and r.updated_at and r.archived is False for r in result.results
    )


def test_batch_over_100_inputs_is_400(sb: Any) -> None:
    client = hubspot_client(sb)
    with pytest.raises(ApiException) as caught:
        client.crm.objects.batch_api.create(
            "contacts", contact_batch([f"{n}@x.com" for n in range(101)])
        )
    assert caught.value.status == 400
    assert hubspot_client(sb).crm.contacts.basic_api.get_page().results == []


def test_batch_read_200_and_207_for_missing_ids(sb: Any) -> None:
    client = hubspot_client(sb)
    created = client.crm.objects.batch_api.create("contacts", contact_batch(["r@x.com"]))
    found_id = created.results[0].id
    body = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": found_id}], properties=["email"], properties_with_history=[]
    )
    result, status, _ = client.crm.objects.batch_api.read_with_http_info("contacts", body)
    assert (status, result.results[0].properties["email"]) == (200, "r@x.com")
    body = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": found_id}, {"id": "999"}], properties=[], properties_with_history=[]
    )
    result, status, _ = client.crm.objects.batch_api.read_with_http_info("contacts", body)
    assert status == 207
    assert result.num_errors == 1
    assert result.errors[0].category == "OBJECT_NOT_FOUND"
    assert result.errors[0].context == {"ids": ["999"]}
    assert [r.id for r in result.results] == [found_id]


def test_batch_read_by_email(sb: Any) -> None:
    client = hubspot_client(sb)
    client.crm.objects.batch_api.create("contacts", contact_batch(["Mixed@X.com"]))
    body = BatchReadInputSimplePublicObjectId(
        id_property="email",
        inputs=[{"id": "mixed@x.com"}],
        properties=["email"],
        properties_with_history=[],
    )
    result = client.crm.objects.batch_api.read("contacts", body)
    assert result.results[0].properties["email"] == "Mixed@X.com"


def test_batch_update_200_and_207_for_unknown_id(sb: Any) -> None:
    client = hubspot_client(sb)
    created = client.crm.objects.batch_api.create("contacts", contact_batch(["u@x.com"]))
    known = created.results[0].id
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[{"id": known, "properties": {"firstname": "Uma"}}]
    )
    result, status, _ = client.crm.objects.batch_api.update_with_http_info("contacts", body)
    assert (status, result.results[0].properties["firstname"]) == (200, "Uma")
    body = BatchInputSimplePublicObjectBatchInput(
        inputs=[
            {"id": known, "properties": {"firstname": "Ulla"}},
            {"id": "424242", "properties": {"firstname": "X"}},
        ]
    )
    result, status, _ = client.crm.objects.batch_api.update_with_http_info("contacts", body)
    assert status == 207
    assert result.num_errors == 1 and result.errors[0].context == {"ids": ["424242"]}
    assert (
        client.crm.contacts.basic_api.get_by_id(known, properties=["firstname"]).properties[
            "firstname"
        ]
        == "Ulla"
    )


def test_batch_upsert_by_email_flags_new(sb: Any) -> None:
    client = hubspot_client(sb)
    client.crm.objects.batch_api.create("contacts", contact_batch(["old@x.com"]))
    body = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[
            {"idProperty": "email", "id": "OLD@x.com", "properties": {"firstname": "Olive"}},
            {"idProperty": "email", "id": "new@x.com", "properties": {"firstname": "Ned"}},
        ]
    )
    result, status, _ = client.crm.objects.batch_api.upsert_with_http_info("contacts", body)
    assert status == 200
    by_name = {r.properties["firstname"]: r.new for r in result.results}
    assert by_name == {"Olive": False, "Ned": True}
    assert len(client.crm.contacts.basic_api.get_page().results) == 2


def test_batch_upsert_by_created_unique_property(sb: Any) -> None:
    client = hubspot_client(sb)
    hubspot_raw(sb).post(
        f"{sb.hubspot_url}/crm/v3/properties/tasks",
        json={
            "name": "crmops_key",
            "label": "key",
            "type": "string",
            "fieldType": "text",
            "groupName": "taskinformation",
            "hasUniqueValue": True,
        },
    )
    item = {
        "idProperty": "crmops_key",
        "id": "k1",
        "properties": {"hs_timestamp": "2026-03-10T18:00:00Z", "hs_task_subject": "Call"},
    }
    body = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[item])
    first = client.crm.objects.batch_api.upsert("tasks", body)
    second = client.crm.objects.batch_api.upsert("tasks", body)
    assert (first.results[0].new, second.results[0].new) == (True, False)
    assert first.results[0].id == second.results[0].id


def test_batch_upsert_refuses_non_unique_property(sb: Any) -> None:
    client = hubspot_client(sb)
    body = BatchInputSimplePublicObjectBatchInputUpsert(
        inputs=[{"idProperty": "firstname", "id": "Al", "properties": {}}]
    )
    with pytest.raises(ApiException) as caught:
        client.crm.objects.batch_api.upsert("contacts", body)
    assert caught.value.status == 400


def test_batch_archive_answers_204_without_body(sb: Any) -> None:
    client = hubspot_client(sb)
    created = client.crm.objects.batch_api.create("contacts", contact_batch(["z@x.com", "y@x.com"]))
    ids = [{"id": r.id} for r in created.results]
    result, status, _ = client.crm.objects.batch_api.archive_with_http_info(
        "contacts", BatchInputSimplePublicObjectId(inputs=ids)
    )
    assert (result, status) == (None, 204)
    raw = hubspot_raw(sb).post(
        f"{sb.hubspot_url}/crm/v3/objects/contacts/batch/archive", json={"inputs": ids}
    )
    assert (raw.status_code, raw.content) == (204, b"")
    assert client.crm.contacts.basic_api.get_page().results == []
