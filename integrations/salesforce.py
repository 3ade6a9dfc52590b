"""The Salesforce connector: the Connector protocol on simple-salesforce's REST calls.

Reads are SOQL ordered by (SystemModstamp, Id) in pages of 2,000, yielded lazily
(see `sf_reads`); writes are sObject Collections of 200 with a result per record;
every call is counted, retried by the one policy, and its errors sorted at the
edge (see `sf_client`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integrations import sf_schema, sf_writes, soql
from integrations.base import (
    ApiUsage,
    FieldInfo,
    FieldSpec,
    System,
    TaskSpec,
    WriteResult,
    WriteRow,
)
from integrations.errors import FatalError, write_into
from integrations.sf_client import DEFAULT_OVERLAP, LOCK_PAUSE
from integrations.sf_reads import (
    LOCATOR_GONE,
    MERGEABLE,
    PAGE_SIZE,
    QUERY_HEADERS,
    READ_BY_IDS_BATCH,
    SalesforceReads,
)

# Re-exported: these names were defined here, and callers may import them from here.
__all__ = [
    "DEFAULT_OVERLAP",
    "LOCATOR_GONE",
    "LOCK_PAUSE",
    "MERGEABLE",
    "PAGE_SIZE",
    "QUERY_HEADERS",
    "READ_BY_IDS_BATCH",
    "SalesforceConnector",
]


class SalesforceConnector(SalesforceReads):
    """One Salesforce org through simple-salesforce; see `integrations.base.Connector`."""

    system: System = "salesforce"

    def __repr__(self) -> str:
        return f"SalesforceConnector(instance={self.sf.sf_instance!r})"

    # --- writes ------------------------------------------------------------------------

    def _collection(
        self, method: str, path: str, records: list[dict[str, Any]], created: bool, repeatable: bool
    ) -> list[WriteResult]:
        def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
            body = {"allOrNone": False, "records": chunk}
            answer = self._call(
                lambda: self.sf.restful(path, method=method, json=body), repeatable=repeatable
            )
            return list(answer or [])

        return sf_writes.write_collection(send, records, created_default=created, pause=self._pause)

    def create(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create records; rows with a `key` are upserted on the object's key field."""
        keyed = [i for i, row in enumerate(rows) if row.key is not None]
        plain = [i for i, row in enumerate(rows) if row.key is None]
        results: list[WriteResult | None] = [None] * len(rows)
        if keyed:
            field = sf_writes.key_field(object)
            keyed_rows = [WriteRow({**rows[i].fields, field: rows[i].key}) for i in keyed]
            write_into(results, keyed, lambda: self.upsert(object, field, keyed_rows))
        if plain:
            records = [sf_writes.collection_record(object, rows[i].fields) for i in plain]
            write_into(
                results,
                plain,
                lambda: self._collection("POST", "composite/sobjects", records, True, False),
            )
        return [r for r in results if r is not None]

    def update(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update records by id, 200 to a call."""
        for row in rows:
            soql.record_id(row.id or "")
        records = [sf_writes.collection_record(object, r.fields, Id=r.id) for r in rows]
        return self._collection("PATCH", "composite/sobjects", records, False, True)

    def upsert(self, object: str, key_field: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create or update by an external-id field (the value in `key` or in the fields)."""
        path = f"composite/sobjects/{soql.name(object)}/{soql.field(key_field)}"
        records = [
            sf_writes.collection_record(
                object, {**row.fields, **({key_field: row.key} if row.key else {})}
            )
            for row in rows
        ]
        return self._collection("PATCH", path, records, False, True)

    def write_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """Create or update Tasks by their crmops key."""
        rows = [WriteRow(sf_writes.task_fields(t, self.time_zone)) for t in tasks]
        return self.upsert("Task", sf_writes.key_field("Task"), rows)

    # --- schema and usage --------------------------------------------------------------

    def describe(self, object: str) -> dict[str, FieldInfo]:
        """Fields of `object` by name."""
        path = f"sobjects/{soql.name(object)}/describe"
        answer = self._call(lambda: self.sf.restful(path))
        return sf_schema.fields_by_name(answer or {})

    def provision(self, specs: Sequence[FieldSpec], dry_run: bool) -> list[str]:
        """Create the missing custom fields through the Tooling API; says what it did."""
        done: list[str] = []
        described: dict[str, dict[str, FieldInfo]] = {}
        for spec in specs:
            if spec.object not in described:
                described[spec.object] = self.describe(spec.object)
            if spec.name in described[spec.object]:
                continue
            body = sf_schema.custom_field_metadata(spec)
            if not dry_run:
                self._create_field(spec, body)
            verb = "would create" if dry_run else "created"
            done.append(f"{verb} {body['FullName']} ({body['Metadata']['type']})")
        return done

    def _create_field(self, spec: FieldSpec, body: dict[str, Any]) -> None:
        """POST a CustomField; a retry that finds it created (lost answer) is fine."""
        try:
            self._call(
                lambda: self.sf.toolingexecute("sobjects/CustomField", method="POST", data=body)
            )
        except FatalError:
            if spec.name not in self.describe(spec.object):
                raise

    def usage(self) -> ApiUsage:
        """Calls made so far and the org's own count of what is left today."""
        return self.meter.snapshot()
