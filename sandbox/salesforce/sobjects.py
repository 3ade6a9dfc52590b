"""Single-record REST endpoints, describe, limits, versions and the Tooling API."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from sandbox.faults import FaultEngine
from sandbox.http import Request, Response
from sandbox.salesforce.errors import RecordError, RequestError, error
from sandbox.salesforce.org import MultipleMatches, Org, record_attributes
from sandbox.salesforce.orgops import edit_as_other_user
from sandbox.salesforce.query import API_PREFIX
from sandbox.salesforce.timefmt import canonical_datetime
from sandbox.salesforce.writes import existing

VERSIONS = [
    {"label": "Winter '23", "url": "/services/data/v56.0", "version": "56.0"},
    {"label": "Spring '23", "url": "/services/data/v57.0", "version": "57.0"},
    {"label": "Summer '23", "url": "/services/data/v58.0", "version": "58.0"},
    {"label": "Winter '24", "url": "/services/data/v59.0", "version": "59.0"},
]


def body_object(request: Request) -> dict[str, Any]:
    """The JSON object in a request body.

    Raises:
        RequestError: JSON_PARSER_ERROR when it is not a JSON object.
    """
    try:
        body = request.json()
    except ValueError:
        raise RequestError("JSON_PARSER_ERROR", "Unexpected character in request body") from None
    if not isinstance(body, dict):
        raise RequestError("JSON_PARSER_ERROR", "Cannot deserialize instance of sObject")
    return body


class SObjectHandlers:
    """Handlers bound to one org."""

    def __init__(self, org: Org, faults: FaultEngine) -> None:
        self.org = org
        self.faults = faults

    def after_read(self, record_id: str) -> None:
        """The concurrent-edit fault: someone else changes a record right after we read it."""
        if self.faults.concurrent_edit():
            edit_as_other_user(self.org, record_id, None)

    def versions(self, request: Request) -> Response:
        """GET /services/data/."""
        return Response(200, VERSIONS)

    def list_objects(self, request: Request) -> Response:
        """GET /sobjects."""
        return Response(
            200,
            {
                "encoding": "UTF-8",
                "maxBatchSize": 200,
                "sobjects": [o.summary(API_PREFIX) for o in self.org.objects.values()],
            },
        )

    def describe(self, request: Request, sobject: str) -> Response:
        """GET /sobjects/{T}/describe."""
        return Response(200, self.org.object_meta(sobject).describe(API_PREFIX))

    def basic(self, request: Request, sobject: str) -> Response:
        """GET /sobjects/{T}: object info and recent items."""
        obj = self.org.object_meta(sobject)
        return Response(200, {"objectDescribe": obj.summary(API_PREFIX), "recentItems": []})

    def get(self, request: Request, sobject: str, record_id: str) -> Response:
        """GET /sobjects/{T}/{id}[?fields=a,b]."""
        obj = self.org.object_meta(sobject)
        found_obj, record = existing(self.org.store, record_id, obj.name)
        fields = [f for f in (request.arg("fields") or "").split(",") if f]
        answer = Response(200, self.org.render(found_obj, record, fields or None))
        self.after_read(record["Id"])
        return answer

    def create(self, request: Request, sobject: str) -> Response:
        """POST /sobjects/{T}/ -> 201 {id, success, errors}."""
        record_id = self.org.create(self.org.object_meta(sobject).name, body_object(request))
        return Response(201, {"id": record_id, "success": True, "errors": []})

    def update(self, request: Request, sobject: str, record_id: str) -> Response:
        """PATCH /sobjects/{T}/{id} -> 204."""
        self.org.update(self.org.object_meta(sobject).name, record_id, body_object(request))
        return Response(204)

    def delete(self, request: Request, sobject: str, record_id: str) -> Response:
        """DELETE /sobjects/{T}/{id} -> 204."""
        self.org.delete(self.org.object_meta(sobject).name, record_id)
        return Response(204)

    def upsert(self, request: Request, sobject: str, field: str, value: str) -> Response:
        """PATCH /sobjects/{T}/{ExtField}/{value}: 201 created, 200 updated, 300 ambiguous."""
        try:
            record_id, created = self.org.upsert(
                sobject, field, unquote(value), body_object(request)
            )
        except MultipleMatches as many:
            return Response(300, [f"{API_PREFIX}/sobjects/{sobject}/{i}" for i in many.record_ids])
        body = {"id": record_id, "success": True, "errors": [], "created": created}
        return Response(201 if created else 200, body)

    def get_by_external(self, request: Request, sobject: str, field: str, value: str) -> Response:
        """GET /sobjects/{T}/{ExtField}/{value}."""
        obj = self.org.object_meta(sobject)
        matches = self.org.find_external(obj, field, unquote(value))
        if len(matches) > 1:
            return Response(300, [f"{API_PREFIX}/sobjects/{obj.name}/{m['Id']}" for m in matches])
        if not matches:
            return error(404, "NOT_FOUND", "The requested resource does not exist")
        return Response(200, self.org.render(obj.name, matches[0]))

    def _window(self, request: Request) -> tuple[str, str]:
        try:
            return canonical_datetime(request.arg("start") or ""), canonical_datetime(
                request.arg("end") or ""
            )
        except ValueError:
            raise RequestError(
                "INVALID_REPLICATION_DATE", "start and end must be ISO-8601 datetimes"
            ) from None

    def deleted(self, request: Request, sobject: str) -> Response:
        """GET /sobjects/{T}/deleted/?start=&end=: ids and deletion times in the window."""
        obj = self.org.object_meta(sobject)
        start, end = self._window(request)
        rows = self.org.store.select(
            "SELECT id, modstamp FROM records WHERE obj = ? AND modstamp >= ? AND modstamp <= ? "
            "AND deleted = 1 ORDER BY modstamp, id",
            [obj.name, start, end],
        )
        return Response(
            200,
            {
                "deletedRecords": [{"id": i, "deletedDate": stamp} for i, stamp in rows],
                "earliestDateAvailable": start,
                "latestDateCovered": end,
            },
        )

    def updated(self, request: Request, sobject: str) -> Response:
        """GET /sobjects/{T}/updated/?start=&end=: ids of records changed in the window."""
        obj = self.org.object_meta(sobject)
        start, end = self._window(request)
        rows = self.org.store.select(
            "SELECT id FROM records WHERE obj = ? AND modstamp >= ? AND modstamp <= ? "
            "AND deleted = 0 ORDER BY modstamp, id",
            [obj.name, start, end],
        )
        return Response(200, {"ids": [row[0] for row in rows], "latestDateCovered": end})

    def limits(self, request: Request, max_calls: int, used: int) -> Response:
        """GET /limits."""
        return Response(
            200,
            {
                "DailyApiRequests": {"Max": max_calls, "Remaining": max(0, max_calls - used)},
                "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
                "DataStorageMB": {"Max": 1024, "Remaining": 1000},
            },
        )

    def tooling_create_field(self, request: Request) -> Response:
        """POST /tooling/sobjects/CustomField {FullName, Metadata} -> 201."""
        body = body_object(request)
        full_name = str(body.get("FullName") or "")
        metadata = body.get("Metadata") or {}
        if not isinstance(metadata, dict):
            raise RequestError("JSON_PARSER_ERROR", "Metadata must be an object")
        try:
            field_id = self.org.provision_field(full_name, metadata)
        except ValueError as exc:
            raise RecordError("FIELD_INTEGRITY_EXCEPTION", str(exc)) from None
        return Response(201, {"id": field_id, "success": True, "errors": [], "warnings": []})

    def tooling_query(self, request: Request) -> Response:
        """GET /tooling/query?q=: CustomField rows (DeveloperName, TableEnumOrId, FullName)."""
        text = (request.arg("q") or "").lower()
        if "from customfield" not in text:
            return error(400, "INVALID_TYPE", "sObject type is not supported by this sandbox")
        records = []
        for full_name in self.org.custom_fields():
            table, _, name = full_name.partition(".")
            if f"'{table.lower()}'" in text or "where" not in text:
                records.append(
                    {
                        "attributes": {"type": "CustomField"},
                        "DeveloperName": name.removesuffix("__c"),
                        "TableEnumOrId": table,
                        "FullName": full_name,
                    }
                )
        return Response(
            200,
            {
                "size": len(records),
                "totalSize": len(records),
                "done": True,
                "entityTypeName": "CustomField",
                "records": records,
            },
        )

    def organization(self) -> dict[str, Any]:
        """The Organization record (for identity answers)."""
        return {"attributes": record_attributes("Organization", self.org.options.org_id)}
