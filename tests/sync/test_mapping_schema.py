"""The shipped mapping against the sandbox org's and portal's described fields."""

from __future__ import annotations

from typing import Any

from fixtures.catalog import hubspot_schema, salesforce_schema
from integrations.base import FieldInfo
from sync.mapping_schema import schema_problems
from tests.sync.mapping_support import compiled

SF_SYSTEM = ("Id", "CreatedDate", "LastModifiedDate", "SystemModstamp", "IsDeleted")
HS_SYSTEM = ("hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate")


def _info(name: str, spec: dict[str, Any], read_only: bool) -> FieldInfo:
    values = spec.get("values") or spec.get("options") or ()
    return FieldInfo(name, spec["type"], updateable=not read_only, picklist=tuple(values))


def sandbox_schemas() -> dict[tuple[str, str], dict[str, FieldInfo]]:
    """Both sandboxes' fields after `crmops init` provisioned crmops's own."""
    schemas: dict[tuple[str, str], dict[str, FieldInfo]] = {}
    sf, hs = salesforce_schema(), hubspot_schema()
    for name, obj in sf["objects"].items():
        fields = {f: _info(f, s, s.get("updateable") is False) for f, s in obj["fields"].items()}
        fields |= {f: FieldInfo(f, "string", updateable=False) for f in SF_SYSTEM}
        fields |= {
            f: _info(f, s, False) for f, s in sf["provisioned_by_crmops"].get(name, {}).items()
        }
        schemas[("salesforce", name)] = fields
    for name, obj in hs["objects"].items():
        props = obj["properties"]
        fields = {f: _info(f, s, bool(s.get("readOnlyValue"))) for f, s in props.items()}
        fields |= {f: FieldInfo(f, "string", updateable=False) for f in HS_SYSTEM}
        fields |= {
            f: _info(f, s, False) for f, s in hs["provisioned_by_crmops"].get(name, {}).items()
        }
        schemas[("hubspot", name)] = fields
    return schemas


def test_shipped_mapping_fits_the_sandbox_schema() -> None:
    assert schema_problems(compiled(), sandbox_schemas()) == []


def test_a_missing_field_is_reported() -> None:
    schemas = sandbox_schemas()
    del schemas[("hubspot", "contacts")]["jobtitle"]
    assert schema_problems(compiled(), schemas) == [
        "hubspot contacts.jobtitle (field title): no such field"
    ]


def test_a_field_the_crm_will_not_let_crmops_write_is_reported() -> None:
    schemas = sandbox_schemas()
    schemas[("salesforce", "Lead")]["Title"] = FieldInfo("Title", "string", updateable=False)
    assert schema_problems(compiled(), schemas) == [
        "salesforce Lead.Title (field title): read only in the CRM; "
        "list it under read_only or change direction"
    ]


def test_picklist_and_stage_values_the_crm_lacks_are_reported() -> None:
    schemas = sandbox_schemas()
    schemas[("hubspot", "companies")]["industry"] = FieldInfo(
        "industry", "enumeration", picklist=("CONSTRUCTION", "OTHER")
    )
    table = {"salesforce": {"lead": {"new": {"Status": "Brand New"}}}}
    problems = schema_problems(compiled(stage_values=table), schemas)
    assert (
        "salesforce Lead.Status (field stage): values not in the CRM's picklist: Brand New"
        in problems
    )
    assert any(
        p.startswith("hubspot companies.industry (field industry): values not in") for p in problems
    )
