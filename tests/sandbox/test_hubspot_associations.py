"""HubSpot stand-in: creates with associations and the v4 association endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.associations.v4 import (
    BatchInputPublicAssociationMultiArchive,
    BatchInputPublicAssociationMultiPost,
    BatchInputPublicDefaultAssociationMultiPost,
    BatchInputPublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects import SimplePublicObjectInputForCreate
from hubspot.crm.objects.exceptions import ApiException

from tests.sandbox.clients import hubspot_client
from tests.sandbox.hubspot_helpers import new_contact

DUE = "2026-03-10T18:00:00.000Z"


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def new_company(client: Any, name: str) -> str:
    body = SimplePublicObjectInputForCreate(properties={"name": name})
    return str(client.crm.companies.basic_api.create(body).id)


def test_task_created_with_contact_association(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "t@x.com")
    body = SimplePublicObjectInputForCreate(
        properties={"hs_timestamp": DUE, "hs_task_subject": "Call back"},
        associations=[
            {
                "to": {"id": contact_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}],
            }
        ],
    )
    task, status, _ = client.crm.objects.tasks.basic_api.create_with_http_info(body)
    assert status == 201
    got = client.crm.objects.tasks.basic_api.get_by_id(task.id, associations=["contacts"])
    assert [a.id for a in got.associations["contacts"].results] == [contact_id]
    back = client.crm.associations.v4.basic_api.get_page("contacts", contact_id, "tasks")
    assert [(r.to_object_id, r.association_types[0].type_id) for r in back.results] == [
        (task.id, 203)
    ]


def test_create_with_unknown_association_target_is_400(sb: Any) -> None:
    client = hubspot_client(sb)
    body = SimplePublicObjectInputForCreate(
        properties={"hs_timestamp": DUE},
        associations=[
            {
                "to": {"id": "999"},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}],
            }
        ],
    )
    with pytest.raises(ApiException) as caught:
        client.crm.objects.basic_api.create("tasks", body)
    assert caught.value.status == 400


def test_put_default_association(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id, company_id = new_contact(client, "c@x.com"), new_company(client, "Acme")
    result, status, _ = client.crm.associations.v4.basic_api.create_default_with_http_info(
        "contact", contact_id, "company", company_id
    )
    assert status == 200
    assert result.results[0].association_spec.association_type_id == 279
    links = client.crm.associations.v4.basic_api.get_page("companies", company_id, "contacts")
    assert [r.association_types[0].type_id for r in links.results] == [280]


def test_batch_create_read_archive(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id, company_id = new_contact(client, "d@x.com"), new_company(client, "Beta")
    post = BatchInputPublicAssociationMultiPost(
        inputs=[
            {
                "from": {"id": contact_id},
                "to": {"id": company_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}],
            }
        ]
    )
    created, status, _ = client.crm.associations.v4.batch_api.create_with_http_info(
        "contacts", "companies", post
    )
    assert status == 201 and created.results[0].to_object_id == company_id
    read_body = BatchInputPublicFetchAssociationsBatchRequest(
        inputs=[{"id": contact_id}, {"id": "12345"}]
    )
    read, status, _ = client.crm.associations.v4.batch_api.get_page_with_http_info(
        "contacts", "companies", read_body
    )
    assert status == 207 and read.num_errors == 1
    assert [t.to_object_id for t in read.results[0].to] == [company_id]
    archive = BatchInputPublicAssociationMultiArchive(
        inputs=[{"from": {"id": contact_id}, "to": [{"id": company_id}]}]
    )
    _, status, _ = client.crm.associations.v4.batch_api.archive_with_http_info(
        "contacts", "companies", archive
    )
    assert status == 204
    assert (
        client.crm.associations.v4.basic_api.get_page("contacts", contact_id, "companies").results
        == []
    )


def test_batch_associate_default(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "e@x.com")
    deal = client.crm.deals.basic_api.create(
        SimplePublicObjectInputForCreate(properties={"dealname": "Roof"})
    )
    body = BatchInputPublicDefaultAssociationMultiPost(
        inputs=[{"from": {"id": deal.id}, "to": {"id": contact_id}}]
    )
    result, status, _ = client.crm.associations.v4.batch_api.create_default_with_http_info(
        "deals", "contacts", body
    )
    assert status == 200 and result.results[0].association_spec.association_type_id == 3
