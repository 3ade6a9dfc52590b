"""Portal metadata endpoints: properties, owners, deal pipelines and the account's portal id."""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response
from sandbox.hubspot.constants import OBJECT_TYPES, OWNERS_PAGE_LIMIT
from sandbox.hubspot.errors import ApiError

if TYPE_CHECKING:
    from sandbox.hubspot.app import HubSpotApp

EPOCH = "2024-01-02T09:00:00.000Z"
CLOSED_STAGES = {"Closed Won": "1.0", "Closed Lost": "0.0"}
DEFAULT_OWNERS = (("Dana", "Reyes"), ("Sam", "Okafor"), ("Lee", "Novak"), ("Ana", "Lindqvist"))


def stage_ids(portal_id: int, labels: list[str]) -> dict[str, str]:
    """Deal stage ids for a portal: numeric and different per portal, as real portals' are."""
    rng = random.Random(f"stages-{portal_id}")
    return {label: str(rng.randint(10_000_000, 999_999_999)) for label in labels}


def default_owners(portal_id: int) -> list[dict[str, Any]]:
    """Owners for a portal that was not seeded with any."""
    owners = []
    for n, (first, last) in enumerate(DEFAULT_OWNERS):
        owners.append(
            {
                "id": str(90_000_000 + n),
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "firstName": first,
                "lastName": last,
                "userId": 7_000_000 + n,
                "type": "PERSON",
                "createdAt": EPOCH,
                "updatedAt": EPOCH,
                "archived": False,
                "teams": [],
            }
        )
    return owners


def pipelines(specs: list[dict[str, Any]], ids: dict[str, str]) -> list[dict[str, Any]]:
    """The deal pipelines as `GET /crm/v3/pipelines/deals` answers them."""
    result = []
    for order, pipeline in enumerate(specs):
        stages = []
        for n, label in enumerate(pipeline["stages"]):
            metadata = {
                "isClosed": str(label in CLOSED_STAGES).lower(),
                "probability": CLOSED_STAGES.get(label, f"{0.1 * (n + 1):.1f}"),
            }
            stages.append(
                {
                    "id": ids[label],
                    "label": label,
                    "displayOrder": n,
                    "metadata": metadata,
                    "createdAt": EPOCH,
                    "updatedAt": EPOCH,
                    "archived": False,
                    "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
                }
            )
        result.append(
            {
                "id": pipeline["id"],
                "label": pipeline["label"],
                "displayOrder": order,
                "stages": stages,
                "createdAt": EPOCH,
                "updatedAt": EPOCH,
                "archived": False,
            }
        )
    return result


class PortalRoutes:
    """Properties, owners, pipelines and account-info."""

    def __init__(self, app: HubSpotApp) -> None:
        self.app = app
        r = app.router
        kinds = "(?P<kind>" + "|".join(OBJECT_TYPES) + ")"
        r.add("GET", f"/crm/v3/properties/{kinds}", self.list_properties, "properties.list")
        r.add("POST", f"/crm/v3/properties/{kinds}", self.create_property, "properties.create")
        r.add(
            "GET",
            f"/crm/v3/properties/{kinds}/(?P<name>[^/]+)",
            self.get_property,
            "properties.get",
        )
        r.add("GET", "/crm/v3/owners/?", self.owners, "owners.list")
        r.add("GET", "/crm/v3/owners/(?P<owner_id>\\d+)", self.owner, "owners.get")
        r.add("GET", "/crm/v3/pipelines/deals", self.pipelines, "pipelines.list")
        r.add("GET", "/account-info/v3/details", self.account, "account.details")

    def _definition(self, kind: str, name: str) -> dict[str, Any]:
        prop = self.app.schema.properties[kind][name]
        labels = self.app.option_labels(prop.options_from)
        body = prop.definition(labels)
        if prop.options_from is not None:
            values = self.app.schema.allowed_options(kind, prop)
            body["options"] = [
                {"label": labels.get(v, v), "value": v, "displayOrder": i, "hidden": False}
                for i, v in enumerate(values)
            ]
        return body

    def list_properties(self, request: Request, kind: str) -> Response:
        """GET /crm/v3/properties/{type} -> 200 `{results}`."""
        return Response(
            200, {"results": [self._definition(kind, n) for n in self.app.schema.properties[kind]]}
        )

    def get_property(self, request: Request, kind: str, name: str) -> Response:
        """GET one property -> 200, unknown -> 404."""
        if name not in self.app.schema.properties[kind]:
            raise ApiError(
                404, f"Unable to find property {name} for object type {kind}", "OBJECT_NOT_FOUND"
            )
        return Response(200, self._definition(kind, name))

    def create_property(self, request: Request, kind: str) -> Response:
        """POST a property -> 201; it is writable from then on (kept across restarts)."""
        body = request.json() or {}
        prop = self.app.schema.create(kind, body)
        saved = json.loads(self.app.store.meta("created_properties") or "[]")
        saved.append({"kind": kind, "body": body})
        self.app.store.set_meta("created_properties", json.dumps(saved))
        return Response(201, self._definition(kind, prop.name))

    def owners(self, request: Request) -> Response:
        """GET /crm/v3/owners: paged, optional `email` filter."""
        owners = self.app.owners()
        email = (request.arg("email") or "").strip().lower()
        if email:
            owners = [o for o in owners if o["email"].lower() == email]
        if (request.arg("archived") or "false").lower() != "true":
            owners = [o for o in owners if not o.get("archived")]
        limit = min(int(request.arg("limit") or 100), OWNERS_PAGE_LIMIT)
        start = int(request.arg("after") or 0)
        body: dict[str, Any] = {"results": owners[start : start + limit]}
        if start + limit < len(owners):
            body["paging"] = {"next": {"after": str(start + limit), "link": ""}}
        return Response(200, body)

    def owner(self, request: Request, owner_id: str) -> Response:
        """GET one owner by id."""
        for owner in self.app.owners():
            if owner["id"] == owner_id:
                return Response(200, owner)
        raise ApiError(404, f"Owner {owner_id} not found", "OBJECT_NOT_FOUND")

    def pipelines(self, request: Request) -> Response:
        """GET /crm/v3/pipelines/deals: stage labels from the schema, ids per portal."""
        return Response(200, {"results": self.app.pipelines()})

    def account(self, request: Request) -> Response:
        """GET /account-info/v3/details -> the portal id."""
        return Response(
            200,
            {
                "portalId": self.app.options.portal_id,
                "accountType": "STANDARD",
                "timeZone": "US/Eastern",
                "companyCurrency": "USD",
                "uiDomain": "app.hubspot.com",
                "dataHostingLocation": "na1",
            },
        )
