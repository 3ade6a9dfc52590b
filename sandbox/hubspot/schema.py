"""The portal's properties: fixtures/schema/hubspot.yaml plus those created through the API."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sandbox.hubspot.constants import CREATED_PROPERTY, MODIFIED_PROPERTY, OBJECT_TYPES
from sandbox.hubspot.errors import ApiError, validation
from sandbox.hubspot.timefmt import normalise

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "schema" / "hubspot.yaml"
LIFECYCLE_ORDER = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)


@dataclass
class Property:
    """One property definition."""

    name: str
    type: str
    field_type: str
    label: str = ""
    options: list[str] = field(default_factory=list)
    options_from: str | None = None
    read_only: bool = False
    unique: bool = False
    required: bool = False
    hubspot_defined: bool = True

    def definition(self, option_labels: dict[str, str]) -> dict[str, Any]:
        """The property as `GET /crm/v3/properties/{type}` answers it."""
        return {
            "name": self.name,
            "label": self.label or self.name.replace("_", " ").title(),
            "type": self.type,
            "fieldType": self.field_type,
            "description": "",
            "groupName": "crmops" if not self.hubspot_defined else "information",
            "options": [
                {"label": option_labels.get(v, v), "value": v, "displayOrder": i, "hidden": False}
                for i, v in enumerate(self.options)
            ],
            "displayOrder": -1,
            "calculated": self.read_only,
            "externalOptions": self.options_from is not None,
            "hasUniqueValue": self.unique,
            "hidden": False,
            "hubspotDefined": self.hubspot_defined,
            "modificationMetadata": {
                "archivable": not self.hubspot_defined,
                "readOnlyDefinition": self.hubspot_defined,
                "readOnlyValue": self.read_only,
            },
            "formField": not self.read_only,
            "createdAt": "2020-01-01T00:00:00.000Z",
            "updatedAt": "2020-01-01T00:00:00.000Z",
            "archived": False,
        }


def _from_yaml(name: str, spec: dict[str, Any], hubspot_defined: bool = True) -> Property:
    return Property(
        name=name,
        type=spec["type"],
        field_type=spec["fieldType"],
        label=spec.get("label", ""),
        options=[str(o) for o in spec.get("options", [])],
        options_from=spec.get("options_from"),
        read_only=bool(spec.get("readOnlyValue", False)),
        unique=bool(spec.get("hasUniqueValue", False)),
        required=bool(spec.get("required", False)),
        hubspot_defined=hubspot_defined,
    )


def _system_properties(object_type: str) -> list[Property]:
    return [
        Property("hs_object_id", "number", "number", "Record ID", read_only=True),
        Property(CREATED_PROPERTY[object_type], "datetime", "date", "Create Date", read_only=True),
        Property(
            MODIFIED_PROPERTY[object_type], "datetime", "date", "Last Modified", read_only=True
        ),
    ]


def property_error(name: str, message: str, error: str) -> ApiError:
    """HubSpot's 400 for a bad property value (the details JSON is inside the message)."""
    detail = {
        "isValid": False,
        "message": message,
        "error": error,
        "name": name,
        "localizedErrorMessage": message,
    }
    return validation(f"Property values were not valid: {json.dumps([detail])}")


class PortalSchema:
    """Properties per object type; `options_from` lists are resolved through callbacks."""

    def __init__(self, dynamic_options: dict[str, Callable[[str], list[str]]]) -> None:
        self.raw = yaml.safe_load(SCHEMA_FILE.read_text())
        self.dynamic_options = dynamic_options
        self.properties: dict[str, dict[str, Property]] = {}
        self.reset()

    def reset(self) -> None:
        """Back to the portal as shipped: properties created through the API are gone."""
        raw = self.raw
        for object_type in OBJECT_TYPES:
            props = {p.name: p for p in _system_properties(object_type)}
            specs = raw["objects"].get(object_type, {}).get("properties", {})
            for name, spec in specs.items():
                props[name] = _from_yaml(name, spec)
            self.properties[object_type] = props

    def get(self, object_type: str, name: str) -> Property | None:
        """A property by name, or None."""
        return self.properties[object_type].get(name)

    def create(self, object_type: str, body: dict[str, Any]) -> Property:
        """Define a new property (POST /crm/v3/properties/{type}).

        Raises:
            ApiError: 409 when it exists, 400 when the body lacks a field.
        """
        name = body.get("name")
        if not name or not body.get("type") or not body.get("fieldType"):
            raise validation("name, label, type, fieldType and groupName are required")
        if name in self.properties[object_type]:
            raise ApiError(409, f"Property named '{name}' already exists.", "OBJECT_ALREADY_EXISTS")
        spec = {**body, "options": [o["value"] for o in body.get("options") or []]}
        prop = _from_yaml(name, spec, hubspot_defined=False)
        self.properties[object_type][name] = prop
        return prop

    def allowed_options(self, object_type: str, prop: Property) -> list[str]:
        """The values an enumeration accepts."""
        if prop.options_from is not None:
            return self.dynamic_options[prop.options_from](prop.name)
        return prop.options

    def clean(self, object_type: str, values: dict[str, Any]) -> dict[str, str]:
        """Validate written properties and bring them to their stored string form.

        Raises:
            ApiError: 400 on the first unknown, read-only or invalid property.
        """
        cleaned: dict[str, str] = {}
        for name, value in values.items():
            prop = self.get(object_type, name)
            if prop is None:
                raise property_error(
                    name, f'Property "{name}" does not exist', "PROPERTY_DOESNT_EXIST"
                )
            if prop.read_only:
                raise property_error(
                    name,
                    f"{name} is a read only property; its value cannot be set.",
                    "READ_ONLY_VALUE",
                )
            cleaned[name] = self._clean_value(object_type, prop, value)
        return cleaned

    def _clean_value(self, object_type: str, prop: Property, value: Any) -> str:
        text = (
            "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        )
        if text == "":
            return ""
        if prop.type == "enumeration" and prop.field_type != "checkbox":
            allowed = self.allowed_options(object_type, prop)
            if text not in allowed:
                message = f"{text} was not one of the allowed options: {allowed}"
                raise property_error(prop.name, message, "INVALID_OPTION")
        elif prop.type in ("datetime", "date"):
            try:
                return normalise(text)
            except ValueError:
                raise property_error(
                    prop.name, f"{text} is not a valid datetime", "INVALID_DATE"
                ) from None
        elif prop.type == "number":
            try:
                float(text)
            except ValueError:
                raise property_error(
                    prop.name, f"{text} is not a valid number", "INVALID_FLOAT"
                ) from None
        elif prop.type == "bool" and text not in ("true", "false"):
            raise property_error(prop.name, f"{text} is not a valid boolean", "INVALID_BOOLEAN")
        return text
