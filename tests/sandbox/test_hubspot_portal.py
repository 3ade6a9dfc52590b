"""HubSpot stand-in: properties, owners, pipelines."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.objects import SimplePublicObjectInputForCreate
from hubspot.crm.objects.exceptions import ApiException
from hubspot.crm.properties import PropertyCreate
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from tests.sandbox.clients import hubspot_client


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def test_properties_list_and_get(sb: Any) -> None:
    client = hubspot_client(sb)
    listing, status, _ = client.crm.properties.core_api.get_all_with_http_info("contacts")
    names = {p.name for p in listing.results}
    assert status == 200 and {"email", "lifecyclestage", "lastmodifieddate"} <= names
    assert "crmops_score" not in names
    stage = client.crm.properties.core_api.get_by_name("contacts", "lifecyclestage")
    assert stage.type == "enumeration" and "lead" in [o.value for o in stage.options]


def test_property_unknown_until_created(sb: Any) -> None:
    client = hubspot_client(sb)
    body = SimplePublicObjectInputForCreate(properties={"email": "s@x.com", "crmops_score": "42"})
    with pytest.raises(ApiException) as caught:
        client.crm.objects.basic_api.create("contacts", body)
    assert caught.value.status == 400 and "PROPERTY_DOESNT_EXIST" in caught.value.body
    create = PropertyCreate(
        name="crmops_score",
        label="crmops score",
        type="number",
        field_type="number",
        group_name="contactinformation",
    )
    _, status, _ = client.crm.properties.core_api.create_with_http_info("contacts", create)
    assert status == 201
    made = client.crm.objects.basic_api.create("contacts", body)
    assert made.properties["crmops_score"] == "42"
    with pytest.raises(PropertiesApiException) as again:
        client.crm.properties.core_api.create("contacts", create)
    assert again.value.status == 409


def test_owners_paged_and_filtered_by_email(sb: Any) -> None:
    client = hubspot_client(sb)
    everyone = client.crm.owners.owners_api.get_page(limit=100).results
    assert everyone and all(o.email and o.user_id for o in everyone)
    first, status, _ = client.crm.owners.owners_api.get_page_with_http_info(limit=1)
    assert status == 200 and len(first.results) == 1 and first.paging.next.after
    found = client.crm.owners.owners_api.get_page(email=everyone[-1].email.upper())
    assert [o.id for o in found.results] == [everyone[-1].id]


def test_pipeline_stage_ids_differ_per_portal(make_sandbox: Any) -> None:
    a = make_sandbox(size=0, seed=1, portal_id=1, rate_limits=False)
    b = make_sandbox(size=0, seed=2, portal_id=2, rate_limits=False)
    stages_a = hubspot_client(a).crm.pipelines.pipelines_api.get_all("deals").results[0].stages
    stages_b = hubspot_client(b).crm.pipelines.pipelines_api.get_all("deals").results[0].stages
    assert [s.label for s in stages_a] == [s.label for s in stages_b]
    assert "Closed Won" in [s.label for s in stages_a]
    assert [s.id for s in stages_a] != [s.id for s in stages_b]


def test_deal_stage_must_be_a_stage_id(sb: Any) -> None:
    client = hubspot_client(sb)
    stages = client.crm.pipelines.pipelines_api.get_all("deals").results[0].stages
    good = SimplePublicObjectInputForCreate(
        properties={"dealname": "A", "dealstage": stages[0].id, "pipeline": "default"}
    )
    assert client.crm.deals.basic_api.create(good).properties["dealstage"] == stages[0].id
    bad = SimplePublicObjectInputForCreate(properties={"dealname": "B", "dealstage": "Prospecting"})
    with pytest.raises(ApiException) as caught:
        client.crm.objects.basic_api.create("deals", bad)
    assert caught.value.status == 400 and "INVALID_OPTION" in caught.value.body
