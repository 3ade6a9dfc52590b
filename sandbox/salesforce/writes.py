"""Record writes with the org's validation: field security, types, picklists, owners, duplicates."""

from __future__ import annotations

from typing import Any

from sandbox.salesforce import ids
from sandbox.salesforce.errors import NotFound, RecordError, RequestError
from sandbox.salesforce.schema import NUMBER_TYPES, FieldMeta, ObjectMeta
from sandbox.salesforce.timefmt import canonical_datetime, is_date

# Picklist defaults a new org applies on create.
CREATE_DEFAULTS: dict[str, dict[str, Any]] = {
    "Lead": {"Status": "Open - Not Contacted", "IsConverted": False},
    "Task": {"Status": "Not Started", "Priority": "Normal"},
}
DUPLICATE_RULE_OBJECTS = ("Lead", "Contact")
QUEUE_PREFIX = "00G"


def _parse_error(kind: str, value: Any) -> RequestError:
    return RequestError(
        "JSON_PARSER_ERROR",
        f"Cannot deserialize instance of {kind} from VALUE_STRING value {value} "
        "or request may be missing a required field at [line:1, column:1]",
    )


def coerce(meta: FieldMeta, value: Any) -> Any:
    """A written value in the stored form for the field's type.

    Raises:
        RequestError: JSON_PARSER_ERROR for a value of the wrong shape (a time in a date field).
        RecordError: an invalid email or id.
    """
    if value is None or (value == "" and meta.type not in ("string", "textarea")):
        return None
    kind = meta.type
    if kind == "date":
        if not is_date(value):
            raise _parse_error("date", value)
        return value
    if kind == "datetime":
        try:
            return canonical_datetime(str(value))
        except ValueError:
            raise _parse_error("datetime", value) from None
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _parse_error("boolean", value)
        return value
    if kind in NUMBER_TYPES:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise _parse_error("double", value) from None
        return int(number) if kind == "int" else number
    if kind == "reference":
        if not ids.looks_like_id(value):
            raise RecordError(
                "MALFORMED_ID",
                f"{meta.label or meta.name}: id value of incorrect type: {value}",
                [meta.name],
            )
        return ids.normalize(value)
    if kind == "email" and "@" not in str(value):
        raise RecordError(
            "INVALID_EMAIL_ADDRESS", f"{meta.name}: invalid email address: {value}", [meta.name]
        )
    return value if isinstance(value, str) else str(value)


class Validator:
    """Checks one write against the object's metadata and the org's data."""

    def __init__(self, writer: Any) -> None:
        self.writer = writer

    def fields(self, obj: ObjectMeta, values: dict[str, Any], creating: bool) -> dict[str, Any]:
        """Map written names to canonical fields, check security and coerce values."""
        lowered = {name.lower(): meta for name, meta in obj.fields.items()}
        clean: dict[str, Any] = {}
        refused = []
        for name, value in values.items():
            if name == "attributes" or (name.lower() == "id" and not creating):
                continue
            meta = lowered.get(name.lower())
            if meta is None:
                raise RecordError(
                    "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}"
                )
            if not (meta.createable if creating else meta.updateable):
                refused.append(meta.name)
                continue
            clean[meta.name] = coerce(meta, value)
        if refused:
            raise RecordError(
                "INVALID_FIELD_FOR_INSERT_UPDATE",
                f"Unable to create/update fields: {', '.join(refused)}. Please check the security "
                "settings of this field and verify that it is read/write for your profile or "
                "permission set.",
                refused,
            )
        return clean

    def record(self, obj: ObjectMeta, merged: dict[str, Any], changed: dict[str, Any]) -> None:
        """Rules over the record as it would be after the write."""
        missing = [
            meta.name
            for meta in obj.fields.values()
            if meta.required and merged.get(meta.name) in (None, "")
        ]
        if missing:
            raise RecordError(
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        for name, value in changed.items():
            meta = obj.fields[name]
            if meta.restricted and value is not None and value not in meta.values:
                raise RecordError(
                    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                    f"{meta.label or name}: bad value for restricted picklist field: {value}",
                    [name],
                )
        if "OwnerId" in changed:
            self.owner(obj, changed["OwnerId"])
        for name, value in changed.items():
            if obj.fields[name].unique and value not in (None, ""):
                self.unique(obj, name, value, merged.get("Id"))
        self.duplicates(obj, merged)

    def owner(self, obj: ObjectMeta, owner_id: str | None) -> None:
        """Queues own only what accepts a Group; inactive users own nothing new."""
        if owner_id is None:
            return
        accepts_queue = "Group" in obj.fields["OwnerId"].reference_to
        if owner_id.startswith(QUEUE_PREFIX) and not accepts_queue:
            raise RecordError(
                "FIELD_INTEGRITY_EXCEPTION",
                f"Assigned To ID: id value of incorrect type: {owner_id}",
                ["OwnerId"],
            )
        found = self.writer.store.get(owner_id)
        if found and found[0] == "User" and found[1].get("IsActive") is False:
            raise RecordError(
                "INACTIVE_OWNER_OR_USER",
                f"operation performed with inactive user [{owner_id}] as owner of "
                f"{obj.name.lower()}",
            )

    def unique(self, obj: ObjectMeta, name: str, value: Any, own_id: str | None) -> None:
        """A unique field's value may be used by one live record only."""
        for other in self.writer.store.find(obj.name, name, value):
            if other["Id"] != own_id:
                raise RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {name} duplicates value on record with id: "
                    f"{other['Id']}",
                    [name],
                )

    def duplicates(self, obj: ObjectMeta, merged: dict[str, Any]) -> None:
        """The standard duplicate rules: same email and name. "allow" creates anyway.

        A new org's lead and contact rules match across both objects (leads against
        contacts and the reverse); converted leads are no longer matched.
        """
        if obj.name not in DUPLICATE_RULE_OBJECTS or self.writer.duplicate_action != "block":
            return
        email = merged.get("Email")
        if not email:
            return
        for kind in DUPLICATE_RULE_OBJECTS:
            for other in self.writer.store.find(kind, "Email", email):
                same_name = all(
                    str(other.get(k) or "").lower() == str(merged.get(k) or "").lower()
                    for k in ("FirstName", "LastName")
                )
                if other["Id"] != merged.get("Id") and same_name and not other.get("IsConverted"):
                    raise RecordError(
                        "DUPLICATES_DETECTED",
                        "You're creating a duplicate record. We recommend you use an existing "
                        "record instead.",
                    )


def existing(store: Any, record_id: str, obj_name: str | None = None) -> tuple[str, dict[str, Any]]:
    """The live record for an id.

    Raises:
        NotFound: no such record, a deleted one (ENTITY_IS_DELETED), or one of another object.
    """
    if not ids.looks_like_id(record_id):
        raise NotFound("MALFORMED_ID", f"malformed id {record_id}")
    found = store.get(ids.normalize(record_id))
    if found is None or (obj_name is not None and found[0] != obj_name):
        raise NotFound()
    if found[1].get("IsDeleted"):
        raise NotFound("ENTITY_IS_DELETED", "entity is deleted")
    return found
