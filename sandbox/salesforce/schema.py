"""The org's metadata from fixtures/schema/salesforce.yaml, plus fields provisioned at run time."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "schema" / "salesforce.yaml"

# Tooling API `Metadata.type` -> describe `type`.
TOOLING_TYPES = {
    "Text": "string",
    "TextArea": "textarea",
    "LongTextArea": "textarea",
    "Number": "double",
    "Currency": "currency",
    "Percent": "percent",
    "Checkbox": "boolean",
    "Date": "date",
    "DateTime": "datetime",
    "Email": "email",
    "Phone": "phone",
    "Url": "url",
    "Picklist": "picklist",
}
STRING_TYPES = {"string", "textarea", "email", "phone", "url", "picklist", "id", "reference"}
NUMBER_TYPES = {"int", "double", "currency", "percent"}


@dataclass
class FieldMeta:
    """One field as describe reports it."""

    name: str
    type: str
    label: str = ""
    updateable: bool = True
    createable: bool = True
    nillable: bool = True
    custom: bool = False
    required: bool = False
    restricted: bool = False
    values: list[str] = field(default_factory=list)
    reference_to: list[str] = field(default_factory=list)
    external_id: bool = False
    unique: bool = False
    history_tracked: bool = False  # changes land in `{Object}History` (not in describe)

    @property
    def relationship_name(self) -> str | None:
        """`Owner` for `OwnerId`; None for fields that are not lookups."""
        if self.type != "reference":
            return None
        if self.name.endswith("__c"):
            return self.name[:-3] + "__r"
        return self.name[:-2] if self.name.endswith("Id") else None

    def describe(self) -> dict[str, Any]:
        """The field's entry in a describe answer."""
        return {
            "name": self.name,
            "type": self.type,
            "label": self.label or self.name,
            "custom": self.custom,
            "updateable": self.updateable,
            "createable": self.createable,
            "nillable": self.nillable and not self.required,
            "defaultedOnCreate": self.type == "boolean",
            "restrictedPicklist": self.restricted,
            "picklistValues": [
                {"value": v, "label": v, "active": True, "defaultValue": False} for v in self.values
            ],
            "referenceTo": self.reference_to,
            "relationshipName": self.relationship_name,
            "externalId": self.external_id,
            "unique": self.unique,
            "idLookup": self.name == "Id" or self.external_id,
            "filterable": True,
            "sortable": self.type != "textarea",
            "length": 255 if self.type in STRING_TYPES else 0,
        }


def _system_fields() -> list[FieldMeta]:
    locked: dict[str, Any] = {"updateable": False, "createable": False}
    return [
        FieldMeta("Id", "id", "Record ID", nillable=False, **locked),
        FieldMeta("IsDeleted", "boolean", "Deleted", nillable=False, **locked),
        FieldMeta("CreatedDate", "datetime", "Created Date", nillable=False, **locked),
        FieldMeta("CreatedById", "reference", "Created By ID", reference_to=["User"], **locked),
        FieldMeta("LastModifiedDate", "datetime", "Last Modified Date", nillable=False, **locked),
        FieldMeta(
            "LastModifiedById", "reference", "Last Modified By ID", reference_to=["User"], **locked
        ),
        FieldMeta("SystemModstamp", "datetime", "System Modstamp", nillable=False, **locked),
    ]


def field_from_yaml(name: str, spec: dict[str, Any]) -> FieldMeta:
    """A FieldMeta from one schema-file entry."""
    refs = spec.get("reference_to", [])
    updateable = spec.get("updateable", True)
    return FieldMeta(
        name=name,
        type=spec["type"],
        label=spec.get("label", name),
        updateable=updateable,
        createable=updateable,
        custom=name.endswith("__c"),
        required=spec.get("required", False),
        restricted=spec.get("restricted", False),
        values=[str(v) for v in spec.get("values", [])],
        reference_to=[refs] if isinstance(refs, str) else list(refs),
        external_id=spec.get("external_id", False),
        unique=spec.get("unique", False),
        history_tracked=spec.get("history_tracked", False),
    )


def field_from_tooling(name: str, metadata: dict[str, Any]) -> FieldMeta:
    """A FieldMeta from a Tooling API CustomField `Metadata` body.

    Raises:
        ValueError: the type is not one the sandbox knows.
    """
    kind = TOOLING_TYPES.get(str(metadata.get("type")))
    if kind is None:
        raise ValueError(f"Unsupported field type: {metadata.get('type')}")
    value_set = (metadata.get("valueSet") or {}).get("valueSetDefinition") or {}
    values = [str(v.get("fullName") or v.get("label")) for v in value_set.get("value", [])]
    return FieldMeta(
        name=name,
        type=kind,
        label=str(metadata.get("label") or name),
        custom=True,
        restricted=bool((metadata.get("valueSet") or {}).get("restricted", False)),
        values=values,
        external_id=bool(metadata.get("externalId", False)),
        unique=bool(metadata.get("unique", False)),
    )


@dataclass
class ObjectMeta:
    """One sObject: key prefix and fields by name."""

    name: str
    key_prefix: str
    fields: dict[str, FieldMeta]

    def describe(self, base: str) -> dict[str, Any]:
        """The full describe answer."""
        return {**self.summary(base), "fields": [f.describe() for f in self.fields.values()]}

    def summary(self, base: str) -> dict[str, Any]:
        """The entry for this object in `GET /sobjects`."""
        url = f"{base}/sobjects/{self.name}"
        return {
            "name": self.name,
            "label": self.name,
            "labelPlural": self.name + "s",
            "keyPrefix": self.key_prefix,
            "custom": False,
            "createable": True,
            "updateable": True,
            "deletable": True,
            "queryable": True,
            "searchable": True,
            "urls": {"sobject": url, "describe": url + "/describe", "rowTemplate": url + "/{ID}"},
        }


@cache
def _schema_file() -> dict[str, Any]:
    with SCHEMA_FILE.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


def provisionable(obj: str, name: str) -> dict[str, Any] | None:
    """The schema file's spec for a field crmops provisions, or None."""
    spec: dict[str, Any] | None = (
        _schema_file().get("provisioned_by_crmops", {}).get(obj, {}).get(name)
    )
    return spec


def load_objects() -> dict[str, ObjectMeta]:
    """Fresh metadata for every object, as a new org has it (no provisioned fields)."""
    objects = {}
    for name, spec in _schema_file()["objects"].items():
        fields = {f.name: f for f in _system_fields()}
        for field_name, field_spec in spec["fields"].items():
            fields[field_name] = field_from_yaml(field_name, field_spec)
        objects[name] = ObjectMeta(name, spec["key_prefix"], fields)
    return objects
