"""Composite sObject Collections: create, update, upsert, delete and retrieve up to 200 records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.faults import FaultEngine
from sandbox.http import Request, Response
from sandbox.salesforce.errors import RecordError, RequestError
from sandbox.salesforce.org import MultipleMatches, Org
from sandbox.salesforce.sobjects import body_object
from sandbox.salesforce.writes import existing

MAX_RECORDS = 200
MAX_RETRIEVE = 2000
_ROLLED_BACK = RecordError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone "
    "header",
)
_FAULT_MESSAGES = {
    "UNABLE_TO_LOCK_ROW": "unable to obtain exclusive access to this record or 1 records",
    "DUPLICATES_DETECTED": "You're creating a duplicate record. We recommend you use an existing "
    "record instead.",
}
Outcome = dict[str, Any]


def too_many() -> RequestError:
    """The 400 for more than 200 records in one call."""
    return RequestError(
        "EXCEEDED_ID_LIMIT",
        "record limit reached. cannot submit more than 200 records into this call",
    )


def record_id_of(record: dict[str, Any]) -> Any:
    """The record's `Id`, however the key is cased: field names are case-insensitive."""
    return next((v for k, v in record.items() if k.lower() == "id"), None)


def _failure(error: RecordError, record_id: str | None = None) -> Outcome:
    return {"id": record_id, "success": False, "errors": [error.as_record_error()]}


class CollectionHandlers:
    """Handlers bound to one org and its fault engine."""

    def __init__(self, org: Org, faults: FaultEngine, after_read: Callable[[str], None]) -> None:
        self.org = org
        self.faults = faults
        self.after_read = after_read

    def _records(self, request: Request) -> tuple[list[dict[str, Any]], bool]:
        body = body_object(request)
        records = body.get("records")
        if not isinstance(records, list):
            raise RequestError("INVALID_FIELD", "records is required")
        if len(records) > MAX_RECORDS:
            raise too_many()
        if not all(isinstance(r, dict) for r in records):
            raise RequestError("JSON_PARSER_ERROR", "Cannot deserialize instance of sObject")
        return records, bool(body.get("allOrNone", False))

    def _apply(
        self, items: list[Any], all_or_none: bool, one: Callable[[Any], Outcome]
    ) -> Response:
        """Run one operation per item in input order, inside one transaction.

        With allOrNone, the first failure rolls everything back and every other record
        reports ALL_OR_NONE_OPERATION_ROLLED_BACK.
        """
        outcomes: list[Outcome] = []
        with self.org.store.lock, self.org.one_instant():
            self.org.store.db.execute("SAVEPOINT collection")
            for item in items:
                outcomes.append(self._guarded(item, one))
            failed = any(not o["success"] for o in outcomes)
            if all_or_none and failed:
                self.org.store.db.execute("ROLLBACK TO collection")
                outcomes = [o if not o["success"] else _failure(_ROLLED_BACK) for o in outcomes]
            self.org.store.db.execute("RELEASE collection")
        return Response(200, outcomes)

    def _guarded(self, item: Any, one: Callable[[Any], Outcome]) -> Outcome:
        code = self.faults.record_failure()
        if code is not None:
            return _failure(RecordError(code, _FAULT_MESSAGES[code]))
        try:
            return one(item)
        except RecordError as refused:
            record_id = record_id_of(item) if isinstance(item, dict) else item
            return _failure(refused, record_id if isinstance(record_id, str) else None)

    @staticmethod
    def _type(record: dict[str, Any]) -> str:
        kind = (record.get("attributes") or {}).get("type")
        if not kind:
            raise RecordError("INVALID_TYPE", "Must send a concrete entity type.")
        return str(kind)

    def create(self, request: Request) -> Response:
        """POST /composite/sobjects."""
        records, all_or_none = self._records(request)

        def one(record: dict[str, Any]) -> Outcome:
            if record_id_of(record):
                raise RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
            new_id = self.org.create(self._type(record), record)
            return {"id": new_id, "success": True, "errors": []}

        return self._apply(records, all_or_none, one)

    def update(self, request: Request) -> Response:
        """PATCH /composite/sobjects."""
        records, all_or_none = self._records(request)

        def one(record: dict[str, Any]) -> Outcome:
            given = record_id_of(record)
            if not given:
                raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            record_id = self.org.update(self._type(record), str(given), record)
            return {"id": record_id, "success": True, "errors": []}

        return self._apply(records, all_or_none, one)

    def upsert(self, request: Request, sobject: str, field: str) -> Response:
        """PATCH /composite/sobjects/{T}/{ExtField}: per record `created`."""
        records, all_or_none = self._records(request)
        obj = self.org.object_meta(sobject)

        def one(record: dict[str, Any]) -> Outcome:
            value = next((v for k, v in record.items() if k.lower() == field.lower()), None)
            if value in (None, ""):
                raise RecordError("MISSING_ARGUMENT", f"{field} not specified", [field])
            try:
                record_id, created = self.org.upsert(obj.name, field, str(value), record)
            except MultipleMatches as many:
                raise RecordError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{field}: more than one record found for external id field: {many.record_ids}",
                    [field],
                ) from None
            return {"id": record_id, "success": True, "errors": [], "created": created}

        return self._apply(records, all_or_none, one)

    def delete(self, request: Request) -> Response:
        """DELETE /composite/sobjects?ids=a,b&allOrNone=false."""
        record_ids = [i for i in (request.arg("ids") or "").split(",") if i]
        if len(record_ids) > MAX_RECORDS:
            raise too_many()
        all_or_none = (request.arg("allOrNone") or "false").lower() == "true"

        def one(record_id: str) -> Outcome:
            try:
                return {"id": self.org.delete(None, record_id), "success": True, "errors": []}
            except RecordError as refused:
                code = (
                    refused.code if refused.code != "NOT_FOUND" else "INVALID_CROSS_REFERENCE_KEY"
                )
                message = (
                    refused.message if refused.code != "NOT_FOUND" else "invalid cross reference id"
                )
                raise RecordError(code, message) from None

        return self._apply(record_ids, all_or_none, one)

    def retrieve(self, request: Request, sobject: str) -> Response:
        """GET (or POST) /composite/sobjects/{T}?ids=&fields=: records or null, in order."""
        if request.method == "POST":
            body = body_object(request)
            record_ids, fields = list(body.get("ids") or []), list(body.get("fields") or [])
        else:
            record_ids = [i for i in (request.arg("ids") or "").split(",") if i]
            fields = [f for f in (request.arg("fields") or "").split(",") if f]
        if len(record_ids) > MAX_RETRIEVE:
            raise too_many()
        obj = self.org.object_meta(sobject)
        answer: list[dict[str, Any] | None] = []
        for record_id in record_ids:
            try:
                found_obj, record = existing(self.org.store, record_id, obj.name)
            except RecordError:
                answer.append(None)
                continue
            answer.append(self.org.render(found_obj, record, fields or None))
        for record_id in [r["Id"] for r in answer if r]:
            self.after_read(record_id)
        return Response(200, answer)
