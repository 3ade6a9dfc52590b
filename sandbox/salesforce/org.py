"""The org: metadata, records and the write operations every endpoint shares."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from sandbox.clock import SandboxClock
from sandbox.options import SandboxOptions
from sandbox.salesforce import history, ids
from sandbox.salesforce.errors import NotFound, RecordError
from sandbox.salesforce.schema import (
    FieldMeta,
    ObjectMeta,
    field_from_tooling,
    field_from_yaml,
    load_objects,
    provisionable,
)
from sandbox.salesforce.store import Store
from sandbox.salesforce.timefmt import format_datetime
from sandbox.salesforce.writes import CREATE_DEFAULTS, Validator, existing

CUSTOM_FIELDS_KEY = "custom_fields"


class Org:
    """Records plus metadata; every write goes through `create`, `update` or `delete`."""

    def __init__(self, options: SandboxOptions, store: Store, clock: SandboxClock) -> None:
        self.options = options
        self.store = store
        self.clock = clock
        self.minter = ids.IdMinter()
        self.objects: dict[str, ObjectMeta] = {}
        self.integration_user_id = ids.to18("005" + "8Z" + "0000000000")
        self.validator = Validator(self)
        self._instant = threading.local()
        self.reload_metadata()

    @property
    def duplicate_action(self) -> str:
        """The duplicate rule action: allow (a new org's default for the API) or block."""
        return self.options.duplicate_rule_action

    def reload_metadata(self) -> None:
        """Fresh metadata plus the custom fields provisioned so far (kept in the store)."""
        self.objects = load_objects()
        for full_name, metadata in self.store.get_meta(CUSTOM_FIELDS_KEY, {}).items():
            self._add_field(full_name, metadata)

    def _add_field(self, full_name: str, metadata: dict[str, Any]) -> FieldMeta:
        obj_name, _, name = full_name.partition(".")
        spec = provisionable(obj_name, name)
        meta = (
            field_from_yaml(name, spec)
            if spec and not metadata
            else field_from_tooling(name, metadata)
        )
        self.objects[obj_name].fields[name] = meta
        return meta

    def provision_field(self, full_name: str, metadata: dict[str, Any]) -> str:
        """Create a custom field (Tooling API); returns its id.

        Raises:
            RecordError: unknown object, a name without `__c`, or a field that exists.
        """
        obj_name, _, name = full_name.partition(".")
        if obj_name not in self.objects or not name.endswith("__c"):
            raise RecordError("INVALID_FIELD", f"Invalid field name: {full_name}")
        if name in self.objects[obj_name].fields:
            raise RecordError(
                "DUPLICATE_DEVELOPER_NAME",
                "The name you chose for this field is already in use. Choose a unique name.",
            )
        with self.store.lock:
            self._add_field(full_name, metadata)
            saved = self.store.get_meta(CUSTOM_FIELDS_KEY, {})
            saved[full_name] = metadata
            self.store.set_meta(CUSTOM_FIELDS_KEY, saved)
        return self.minter.mint("00N")

    def custom_fields(self) -> dict[str, dict[str, Any]]:
        """Provisioned fields by full name."""
        saved: dict[str, dict[str, Any]] = self.store.get_meta(CUSTOM_FIELDS_KEY, {})
        return saved

    def object_meta(self, name: str) -> ObjectMeta:
        """Metadata for an object named in a URL.

        Raises:
            NotFound: the org has no such object.
        """
        for meta in self.objects.values():
            if meta.name.lower() == name.lower():
                return meta
        raise NotFound("NOT_FOUND", f"The requested resource does not exist: {name}")

    def now(self) -> str:
        """The sandbox time in wire form (the call's one instant inside `one_instant`)."""
        frozen: str | None = getattr(self._instant, "value", None)
        return frozen or format_datetime(self.clock.now())

    @contextlib.contextmanager
    def one_instant(self) -> Iterator[None]:
        """Every write inside shares one timestamp, as a bulk write does in a real org.

        That is why many records share one SystemModstamp, and cursors must break ties by Id.
        """
        self._instant.value = format_datetime(self.clock.now())
        try:
            yield
        finally:
            self._instant.value = None

    def stamp(self, record: dict[str, Any], user_id: str | None = None) -> None:
        """Move the modified times (every write does) and record who wrote."""
        now = self.now()
        record["LastModifiedDate"] = record["SystemModstamp"] = now
        record["LastModifiedById"] = user_id or self.integration_user_id

    def create(self, obj_name: str, values: dict[str, Any], user_id: str | None = None) -> str:
        """Validate and insert a record; returns its id."""
        obj = self.object_meta(obj_name)
        clean = self.validator.fields(obj, values, creating=True)
        defaults: dict[str, Any] = dict(CREATE_DEFAULTS.get(obj.name, {}))
        if "OwnerId" in obj.fields and "OwnerId" not in clean:
            defaults["OwnerId"] = user_id or self.integration_user_id
        record = {**defaults, **clean}
        # Imported here: orgops builds on Org.
        from sandbox.salesforce.orgops import fill_person_account, link_person_contact

        person = obj.name == "Account" and fill_person_account(record)
        with self.store.lock:
            self.validator.record(obj, record, {**defaults, **clean})
            record_id = self._fresh_id(obj.key_prefix)
            record.update(
                Id=record_id,
                IsDeleted=False,
                CreatedDate=self.now(),
                CreatedById=user_id or self.integration_user_id,
            )
            self.stamp(record, user_id)
            derive(obj.name, record)
            self.store.put(obj.name, record)
            if person:
                link_person_contact(self, record)
        return record_id

    def _fresh_id(self, prefix: str) -> str:
        while True:
            candidate = self.minter.mint(prefix)
            if self.store.get(candidate) is None:
                return candidate

    def update(
        self,
        obj_name: str | None,
        record_id: str,
        values: dict[str, Any],
        user_id: str | None = None,
    ) -> str:
        """Validate and apply a partial update; returns the 18-character id."""
        with self.store.lock:
            found_obj, record = existing(self.store, record_id, obj_name)
            obj = self.objects[found_obj]
            if found_obj == "Lead" and record.get("IsConverted"):
                raise RecordError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
            clean = self.validator.fields(obj, values, creating=False)
            merged = {**record, **clean}
            self.validator.record(obj, merged, clean)
            self.stamp(merged, user_id)
            derive(obj.name, merged)
            self.store.put(obj.name, merged)
            history.track(self, obj.name, record, merged, user_id)
        return str(merged["Id"])

    def delete(self, obj_name: str | None, record_id: str) -> str:
        """Move a record to the recycle bin (IsDeleted, still visible to queryAll)."""
        with self.store.lock:
            found_obj, record = existing(self.store, record_id, obj_name)
            record["IsDeleted"] = True
            self.stamp(record)
            self.store.put(found_obj, record)
        return str(record["Id"])

    def find_external(self, obj: ObjectMeta, field: str, value: str) -> list[dict[str, Any]]:
        """Live records matching an external id (or Id) value.

        Raises:
            NotFound: the field is not an external id of the object.
        """
        meta = next((f for f in obj.fields.values() if f.name.lower() == field.lower()), None)
        if meta is None or not (meta.external_id or meta.name == "Id"):
            raise NotFound(
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {field}",
            )
        if meta.name == "Id":
            found = self.store.get(ids.normalize(value)) if ids.looks_like_id(value) else None
            return [found[1]] if found and not found[1].get("IsDeleted") else []
        return self.store.find(obj.name, meta.name, value)

    def upsert(
        self, obj_name: str, field: str, value: str, values: dict[str, Any]
    ) -> tuple[str, bool]:
        """Update the record whose external id matches, or create one; (id, created).

        Raises:
            MultipleMatches: more than one record carries that value.
        """
        obj = self.object_meta(obj_name)
        with self.store.lock:
            matches = self.find_external(obj, field, value)
            if len(matches) > 1:
                raise MultipleMatches([m["Id"] for m in matches])
            body = {k: v for k, v in values.items() if k.lower() != field.lower()}
            if matches:
                return self.update(obj.name, matches[0]["Id"], body), False
            meta = next(f for f in obj.fields.values() if f.name.lower() == field.lower())
            if meta.name != "Id":
                body[meta.name] = value
            return self.create(obj.name, body), True

    def render(
        self, obj_name: str, record: dict[str, Any], fields: list[str] | None = None
    ) -> dict[str, Any]:
        """A record as the REST API returns it: attributes, then every (or the chosen) field."""
        obj = self.objects[obj_name]
        names = fields or list(obj.fields)
        body: dict[str, Any] = {"attributes": record_attributes(obj_name, record["Id"])}
        for name in names:
            body[name] = record.get(name)
        return body


class MultipleMatches(Exception):
    """An upsert value matched several records (HTTP 300)."""

    def __init__(self, record_ids: list[str]) -> None:
        super().__init__("multiple matches")
        self.record_ids = record_ids


def record_attributes(obj_name: str, record_id: str) -> dict[str, str]:
    """The `attributes` every record carries."""
    return {"type": obj_name, "url": f"/services/data/v59.0/sobjects/{obj_name}/{record_id}"}


def derive(obj_name: str, record: dict[str, Any]) -> None:
    """Fields Salesforce computes from others (formula-like system fields)."""
    if obj_name == "Opportunity" and "StageName" in record:
        record["IsClosed"] = str(record["StageName"]).startswith("Closed")
        record["IsWon"] = record["StageName"] == "Closed Won"
    elif obj_name == "Task":
        record["IsClosed"] = record.get("Status") == "Completed"
    elif obj_name == "User":
        record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName")) if p)
