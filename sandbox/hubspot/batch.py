"""The v3 batch endpoints: read, create, update, upsert, archive (<= 100 inputs each)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response
from sandbox.hubspot.associations import batch_envelope, parse_create_associations
from sandbox.hubspot.constants import BATCH_LIMIT, HISTORY_BATCH_LIMIT, SINGULAR
from sandbox.hubspot.errors import standard_error, validation
from sandbox.hubspot.objects import TYPE, V3
from sandbox.hubspot.records import Write

if TYPE_CHECKING:
    from sandbox.hubspot.app import HubSpotApp


def inputs_of(request: Request) -> list[dict[str, Any]]:
    """The `inputs` of a batch body.

    Raises:
        ApiError: 400 when missing or over the batch limit.
    """
    inputs = (request.json() or {}).get("inputs")
    if not isinstance(inputs, list):
        raise validation("Invalid input JSON: inputs is required")
    if len(inputs) > BATCH_LIMIT:
        raise validation(f"Batch input cannot exceed {BATCH_LIMIT} items; got {len(inputs)}")
    return inputs


def refuse_duplicate_ids(inputs: list[dict[str, Any]]) -> None:
    """HubSpot refuses a batch naming one id twice (so clear-then-set cannot share a batch).

    Raises:
        ApiError: 400 VALIDATION_ERROR listing the repeated ids.
    """
    ids = [str(i.get("id", "")) for i in inputs]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise validation(f"Duplicate IDs found in batch input: {repeated}. IDs must be unique")


def _missing(kind: str, ids: list[str], verb: str = "get") -> dict[str, Any]:
    message = (
        f"Could not {verb} some {SINGULAR[kind].upper()} objects, they may be deleted or not"
        " exist. Check that ids are valid."
    )
    return standard_error("error", "OBJECT_NOT_FOUND", message, {"ids": ids})


class BatchRoutes:
    """Batch read/create/update/upsert/archive for every object type."""

    def __init__(self, app: HubSpotApp) -> None:
        self.app = app
        self.records = app.records
        base = f"{V3}/{TYPE}/batch"
        for verb in ("read", "create", "update", "upsert", "archive"):
            app.router.add("POST", f"{base}/{verb}", getattr(self, verb), f"objects.batch.{verb}")

    def read(self, request: Request, kind: str) -> Response:
        """batch/read -> 200, or 207 listing ids not found."""
        payload = request.json() or {}
        inputs = inputs_of(request)
        id_property = payload.get("idProperty")
        names = payload.get("properties") or None
        with_history = payload.get("propertiesWithHistory") or None
        if with_history and len(inputs) > HISTORY_BATCH_LIMIT:
            raise validation(
                "The maximum number of inputs supported in a batch request for property"
                f" histories is {HISTORY_BATCH_LIMIT}. Please reduce the number of items"
                " and try again"
            )
        rows, missing = [], []
        for item in inputs:
            row = self.records.live(kind, str(item.get("id", "")), id_property)
            if row is None:
                missing.append(str(item.get("id", "")))
            else:
                rows.append(row)
        results = [self.records.render(row, names) for row in rows]
        if with_history:
            histories = self.records.history(rows, with_history)
            for row, body in zip(rows, results, strict=True):
                body["propertiesWithHistory"] = histories[row.id]
        errors = [_missing(kind, missing)] if missing else None
        return Response(207 if errors else 200, batch_envelope(results, errors))

    def create(self, request: Request, kind: str) -> Response:
        """batch/create -> 201; one bad input fails the whole batch, nothing written."""
        writes = []
        for item in inputs_of(request):
            write = self.records.plan_create(kind, item.get("properties") or {})
            write.associations = parse_create_associations(kind, item.get("associations") or [])
            writes.append(write)
        rows = self.app.apply_write(writes)
        results = [
            self.records.render(r, list(w.values)) for r, w in zip(rows, writes, strict=True)
        ]
        return self.app.maybe_lost(Response(201, batch_envelope(results)))

    def update(self, request: Request, kind: str) -> Response:
        """batch/update -> 200; unknown ids -> 207; an invalid value fails the whole batch."""
        payload = request.json() or {}
        writes, missing = [], []
        inputs = inputs_of(request)
        refuse_duplicate_ids(inputs)
        for item in inputs:
            row = self.records.live(
                kind, str(item.get("id", "")), payload.get("idProperty") or item.get("idProperty")
            )
            if row is None:
                self.app.schema.clean(kind, item.get("properties") or {})
                missing.append(str(item.get("id", "")))
                continue
            writes.append(self.records.plan_update(row, item.get("properties") or {}))
        rows = self.app.apply_write(writes) if writes else []
        results = [
            self.records.render(r, list(w.values)) for r, w in zip(rows, writes, strict=True)
        ]
        errors = [_missing(kind, missing, "update")] if missing else None
        return self.app.maybe_lost(
            Response(207 if errors else 200, batch_envelope(results, errors))
        )

    def upsert(self, request: Request, kind: str) -> Response:
        """batch/upsert by a unique property -> 200, each result with `new`."""
        writes: list[Write] = []
        inputs = inputs_of(request)
        refuse_duplicate_ids(inputs)
        for item in inputs:
            id_property = str(item.get("idProperty") or "")
            prop = self.app.schema.get(kind, id_property)
            if prop is None or not prop.unique:
                raise validation(
                    f"{id_property or 'idProperty'} is not a unique property of {kind}"
                )
            value = str(item.get("id", ""))
            values = {**(item.get("properties") or {}), id_property: value}
            row = self.records.live(kind, value, id_property)
            writes.append(
                self.records.plan_create(kind, values)
                if row is None
                else self.records.plan_update(row, values)
            )
        new_flags = [w.new for w in writes]
        rows = self.app.apply_write(writes)
        results = [
            {**self.records.render(r, list(w.values)), "new": new}
            for r, w, new in zip(rows, writes, new_flags, strict=True)
        ]
        return self.app.maybe_lost(Response(200, batch_envelope(results)))

    def archive(self, request: Request, kind: str) -> Response:
        """batch/archive -> 204 with no body (unknown ids are ignored)."""
        ids = [int(str(i.get("id"))) for i in inputs_of(request) if str(i.get("id", "")).isdigit()]
        self.records.archive(kind, ids)
        return self.app.maybe_lost(Response(204))
