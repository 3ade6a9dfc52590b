"""Salesforce schema: describe answers as FieldInfo, and FieldSpecs as Tooling API CustomFields."""

from __future__ import annotations

from typing import Any

from integrations.base import FieldInfo, FieldSpec

TEXT_LENGTH = 255
KEY_LENGTH = 80
LONGTEXT_LENGTH = 32768
NUMBER_PRECISION = 18
NUMBER_SCALE = 2

# describe types that satisfy each FieldSpec type.
DESCRIBE_TYPES: dict[str, frozenset[str]] = {
    "text": frozenset({"string"}),
    "id": frozenset({"string"}),
    "number": frozenset({"double", "int", "currency", "percent"}),
    "longtext": frozenset({"textarea"}),
    "picklist": frozenset({"picklist"}),
}


def field_info(raw: dict[str, Any]) -> FieldInfo:
    """One entry of a describe answer's `fields` as FieldInfo (active picklist values only)."""
    values = tuple(
        str(v.get("value"))
        for v in raw.get("picklistValues") or ()
        if v.get("active", True) and v.get("value") is not None
    )
    return FieldInfo(
        name=raw["name"],
        type=raw.get("type", ""),
        label=raw.get("label", ""),
        updateable=bool(raw.get("updateable", False)),
        custom=bool(raw.get("custom", False)),
        nillable=bool(raw.get("nillable", True)),
        picklist=values,
        restricted=bool(raw.get("restrictedPicklist", False)),
        unique=bool(raw.get("unique", False)),
        external_id=bool(raw.get("externalId", False)),
    )


def fields_by_name(describe: dict[str, Any]) -> dict[str, FieldInfo]:
    """A describe answer as {field name: FieldInfo}."""
    return {f["name"]: field_info(f) for f in describe.get("fields", ())}


def custom_field_metadata(spec: FieldSpec) -> dict[str, Any]:
    """The Tooling API `CustomField` body creating `spec`."""
    metadata: dict[str, Any] = {"label": spec.label}
    if spec.type == "text":
        metadata.update(type="Text", length=TEXT_LENGTH)
    elif spec.type == "id":
        metadata.update(
            type="Text", length=KEY_LENGTH, externalId=True, unique=True, caseSensitive=False
        )
    elif spec.type == "number":
        metadata.update(type="Number", precision=NUMBER_PRECISION, scale=NUMBER_SCALE)
    elif spec.type == "longtext":
        metadata.update(type="LongTextArea", length=LONGTEXT_LENGTH, visibleLines=5)
    else:
        metadata.update(
            type="Picklist",
            valueSet={
                "restricted": True,
                "valueSetDefinition": {
                    "sorted": False,
                    "value": [{"fullName": v, "label": v, "default": False} for v in spec.picklist],
                },
            },
        )
    if spec.unique and spec.type != "id":
        metadata["unique"] = True
    return {"FullName": f"{spec.object}.{spec.name}", "Metadata": metadata}


def mismatch(spec: FieldSpec, info: FieldInfo) -> str | None:
    """What is wrong with an existing field for `spec`, or None when it fits."""
    if info.type not in DESCRIBE_TYPES[spec.type]:
        wanted = " or ".join(sorted(DESCRIBE_TYPES[spec.type]))
        return f"is a {info.type} field, crmops needs {wanted}"
    if spec.type == "id" and not info.external_id:
        return "is not marked External ID; crmops creates records through it"
    return None
