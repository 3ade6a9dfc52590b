"""HubSpot stand-in: propertiesWithHistory on single and batch reads, through the SDK."""

from __future__ import annotations

from typing import Any

import pytest
from hubspot.crm.objects import BatchReadInputSimplePublicObjectId, SimplePublicObjectInput
from hubspot.crm.objects.exceptions import ApiException

from tests.sandbox.clients import hubspot_client
from tests.sandbox.hubspot_helpers import admin, advance, new_contact


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def _edit(client: Any, contact_id: str, **properties: str) -> None:
    body = SimplePublicObjectInput(properties=properties)
    client.crm.objects.basic_api.update("contacts", contact_id, body)


def test_history_lists_each_change_newest_first(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "h@x.com", jobtitle="Roofer")
    advance(sb, 60)
    _edit(client, contact_id, jobtitle="Chief Roofer")
    advance(sb, 60)
    admin(
        sb,
        "/hubspot/edit",
        {"type": "contacts", "id": contact_id, "properties": {"jobtitle": "Owner"}},
    )
    got = client.crm.objects.basic_api.get_by_id(
        "contacts", contact_id, properties_with_history=["jobtitle"]
    )
    history = got.properties_with_history["jobtitle"]
    assert [h.value for h in history] == ["Owner", "Chief Roofer", "Roofer"]
    assert [h.source_type for h in history] == ["CRM_UI", "INTEGRATION", "INTEGRATION"]
    assert history[0].timestamp > history[1].timestamp > history[2].timestamp


def test_analytics_touches_and_unchanged_writes_leave_no_history(sb: Any) -> None:
    client = hubspot_client(sb)
    contact_id = new_contact(client, "t@x.com", jobtitle="Roofer")
    advance(sb, 60)
    _edit(client, contact_id, jobtitle="Roofer")
    admin(sb, "/hubspot/touch", {"ids": [int(contact_id)]})
    got = client.crm.objects.basic_api.get_by_id(
        "contacts", contact_id, properties_with_history=["jobtitle"]
    )
    (only,) = got.properties_with_history["jobtitle"]
    assert only.value == "Roofer"
    assert only.timestamp < got.updated_at


def test_batch_read_with_history_and_its_50_input_limit(sb: Any) -> None:
    client = hubspot_client(sb)
    ids = [new_contact(client, f"b{n}@x.com", phone=f"555-{n}") for n in range(2)]
    body = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": i} for i in ids], properties=["email"], properties_with_history=["phone"]
    )
    answer = client.crm.objects.batch_api.read("contacts", body)
    phones = {r.id: [h.value for h in r.properties_with_history["phone"]] for r in answer.results}
    assert phones == {ids[0]: ["555-0"], ids[1]: ["555-1"]}
    too_many = BatchReadInputSimplePublicObjectId(
        inputs=[{"id": str(n)} for n in range(51)], properties=[], properties_with_history=["phone"]
    )
    with pytest.raises(ApiException) as caught:
        client.crm.objects.batch_api.read("contacts", too_many)
    assert caught.value.status == 400
    assert "property histories is 50" in str(caught.value.body)
