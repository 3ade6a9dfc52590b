"""HubSpot portal metadata: properties (describe, provision), deal stages, owners, portal id."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from typing import Any

from integrations.base import FieldInfo, FieldSpec
from integrations.hubspot_http import Transport

PROPERTY_GROUP = "crmops"
PROPERTY_GROUP_LABEL = "crmops"
OWNERS_PAGE_LIMIT = 500
# FieldSpec.type -> HubSpot (type, fieldType).
PROPERTY_TYPES = {
    "text": ("string", "text"),
    "longtext": ("string", "textarea"),
    "number": ("number", "number"),
    "picklist": ("enumeration", "select"),
    "id": ("string", "text"),
}
ALREADY_EXISTS = frozenset({409})


def field_info(definition: dict[str, Any]) -> FieldInfo:
    """A property definition as FieldInfo."""
    meta = definition.get("modificationMetadata") or {}
    options = tuple(str(o.get("value")) for o in definition.get("options") or [])
    return FieldInfo(
        name=str(definition["name"]),
        type=str(definition.get("type", "")),
        label=str(definition.get("label", "")),
        updateable=not meta.get("readOnlyValue", False) and not definition.get("calculated"),
        custom=not definition.get("hubspotDefined", False),
        picklist=options,
        # HubSpot refuses a value outside an enumeration's options.
        restricted=definition.get("type") == "enumeration"
        and definition.get("fieldType") != "checkbox",
        unique=bool(definition.get("hasUniqueValue")),
        external_id=bool(definition.get("hasUniqueValue")),
    )


def property_body(spec: FieldSpec) -> dict[str, Any]:
    """The create body for a FieldSpec."""
    kind, field_type = PROPERTY_TYPES[spec.type]
    body: dict[str, Any] = {
        "name": spec.name,
        "label": spec.label,
        "type": kind,
        "fieldType": field_type,
        "groupName": PROPERTY_GROUP,
        "description": "Written by crmops",
        "hasUniqueValue": spec.unique,
    }
    if spec.picklist:
        body["options"] = [
            {"label": v, "value": v, "displayOrder": i, "hidden": False}
            for i, v in enumerate(spec.picklist)
        ]
    return body


class Schema:
    """Properties, pipelines, owners and the account of one portal."""

    def __init__(self, transport: Transport) -> None:
        self.t = transport

    def identity(self) -> str:
        """The portal id (`GET /account-info/v3/details`)."""
        answer = self.t.raw_get("GET /account-info/v3/details", "/account-info/v3/details")
        return str((answer.body or {})["portalId"])

    def describe(self, object_type: str) -> dict[str, FieldInfo]:
        """Every property of an object type, by name."""
        api = self.t.sdk.crm.properties.core_api
        answer = self.t.call(
            f"GET /crm/v3/properties/{object_type}",
            partial(api.get_all_with_http_info, object_type),
        )
        return {d["name"]: field_info(d) for d in (answer.body or {}).get("results") or []}

    def provision(self, specs: Sequence[FieldSpec], dry_run: bool) -> list[str]:
        """Create the properties that are missing; report what was (or would be) done."""
        done: list[str] = []
        for object_type in dict.fromkeys(s.object for s in specs):
            existing = self.describe(object_type)
            wanted = [s for s in specs if s.object == object_type]
            missing = [s for s in wanted if s.name not in existing]
            done += [_mismatch(s, existing[s.name]) for s in wanted if s.name in existing]
            if not missing:
                continue
            if dry_run:
                done += [f"would create {object_type}.{s.name} ({s.type})" for s in missing]
                continue
            self._ensure_group(object_type)
            done += [self._create(s) for s in missing]
        return [line for line in done if line]

    def _ensure_group(self, object_type: str) -> None:
        api = self.t.sdk.crm.properties.groups_api
        answer = self.t.call(
            f"GET /crm/v3/properties/{object_type}/groups",
            partial(api.get_all_with_http_info, object_type),
            accept=frozenset({404}),
        )
        if answer.status == 404:
            return  # a portal without property groups: nothing to create
        names = {g.get("name") for g in (answer.body or {}).get("results") or []}
        if PROPERTY_GROUP in names:
            return
        body = {"name": PROPERTY_GROUP, "label": PROPERTY_GROUP_LABEL, "displayOrder": -1}
        self.t.call(
            f"POST /crm/v3/properties/{object_type}/groups",
            partial(api.create_with_http_info, object_type, body),
            accept=ALREADY_EXISTS,
        )

    def _create(self, spec: FieldSpec) -> str:
        api = self.t.sdk.crm.properties.core_api
        answer = self.t.call(
            f"POST /crm/v3/properties/{spec.object}",
            partial(api.create_with_http_info, spec.object, property_body(spec)),
            accept=ALREADY_EXISTS,
        )
        if answer.status in ALREADY_EXISTS:
            return f"{spec.object}.{spec.name} already existed"
        return f"created {spec.object}.{spec.name} ({spec.type})"

    def deal_stage_ids(self) -> dict[str, str]:
        """Deal stage label -> this portal's stage id (ids differ per portal)."""
        api = self.t.sdk.crm.pipelines.pipelines_api
        answer = self.t.call(
            "GET /crm/v3/pipelines/deals", partial(api.get_all_with_http_info, "deals")
        )
        stages: dict[str, str] = {}
        for pipeline in (answer.body or {}).get("results") or []:
            for stage in pipeline.get("stages") or []:
                stages.setdefault(str(stage["label"]), str(stage["id"]))
        return stages

    def owners(self) -> list[dict[str, Any]]:
        """Owners, active and archived: id, email, userId, archived."""
        return [
            {
                "id": str(o.get("id")),
                "email": o.get("email"),
                "userId": o.get("userId"),
                "archived": bool(o.get("archived", archived)),
            }
            for archived in (False, True)
            for o in self._owner_pages(archived)
        ]

    def _owner_pages(self, archived: bool) -> Iterator[dict[str, Any]]:
        api = self.t.sdk.crm.owners.owners_api
        after: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": OWNERS_PAGE_LIMIT, "archived": archived}
            if after:
                kwargs["after"] = after
            answer = self.t.call(
                "GET /crm/v3/owners", partial(api.get_page_with_http_info, **kwargs)
            )
            body = answer.body or {}
            yield from body.get("results") or []
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return


def _mismatch(spec: FieldSpec, info: FieldInfo) -> str:
    if spec.unique and not info.unique:
        return (
            f"{spec.object}.{spec.name} exists but is not unique: idempotent creates need "
            "hasUniqueValue; recreate it"
        )
    return ""
