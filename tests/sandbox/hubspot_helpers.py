"""Small helpers the HubSpot sandbox tests share: admin calls and quick record builders."""

from __future__ import annotations

from typing import Any

import requests
from hubspot import HubSpot
from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInputForCreate,
)

from tests.sandbox.clients import hubspot_raw


def admin(sandbox: Any, path: str, body: dict[str, Any] | None = None) -> requests.Response:
    """POST to a HubSpot admin endpoint (not counted, not rate limited)."""
    response = hubspot_raw(sandbox).post(f"{sandbox.hubspot_url}/__admin{path}", json=body or {})
    assert response.status_code < 300, response.text
    return response


def advance(sandbox: Any, seconds: float) -> None:
    """Move the HubSpot sandbox clock forward (search lag, rate windows)."""
    admin(sandbox, "/clock", {"advance_seconds": seconds})


def new_contact(client: HubSpot, email: str, **properties: str) -> str:
    """Create one contact through the SDK; returns its id."""
    body = SimplePublicObjectInputForCreate(properties={"email": email, **properties})
    return str(client.crm.contacts.basic_api.create(body).id)


def contact_batch(
    emails: list[str], **properties: str
) -> BatchInputSimplePublicObjectBatchInputForCreate:
    """A batch-create body for contacts with the given emails."""
    return BatchInputSimplePublicObjectBatchInputForCreate(
        inputs=[{"properties": {"email": e, **properties}} for e in emails]
    )
