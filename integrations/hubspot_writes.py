"""HubSpot writes in full batches: create, update, upsert, tasks with their associations.

Every input gets one WriteResult, in input order. Batches go out several at a
time (the limiter paces them). A batch refused whole is isolated (see
`hubspot_batch`); a 207 is read per input. Creates with a key are upserts on a
unique property, so a create whose answer was lost is resent without
duplicating; a create without a key is never resent after an ambiguous failure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from integrations.base import TaskSpec, WriteResult, WriteRow
from integrations.errors import CrmError
from integrations.hubspot_batch import (
    BatchRejected,
    chunks,
    duplicates_within,
    existing_id,
    locate_by_details,
    locate_by_value,
    property_details,
    write_isolating,
)
from integrations.hubspot_http import OutcomeUnknown, Transport
from integrations.hubspot_search import id_value, to_ms

# Unique properties a keyed create is upserted through, in order of preference.
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": ("salesforce_id", "email"),
    "companies": ("salesforce_id",),
    "deals": ("salesforce_id",),
    "tasks": ("crmops_key",),
}
TASK_STATUS = {"open": "NOT_STARTED", "completed": "COMPLETED", "deferred": "DEFERRED"}
TASK_PRIORITY = {"High": "HIGH", "Normal": "MEDIUM", "Low": "LOW"}
# TaskSpec field -> the object type it points at.
TASK_LINKS = (("who_id", "contacts"), ("what_id", "deals"))
REFUSED_WHOLE = frozenset({400, 409})
# HubSpot refuses a batch naming one record twice.
DUPLICATE_IDS = "Duplicate IDs found in batch input"
ASSOCIATION_REFUSED = frozenset({400, 404, 409})


@dataclass(frozen=True)
class Input:
    """One batch input as sent, and what its answer is matched by."""

    body: dict[str, Any]
    match: str = ""

    @property
    def properties(self) -> dict[str, Any]:
        """The properties this input writes."""
        return dict(self.body.get("properties") or {})


def failed(code: str, message: str, object_id: str | None = None) -> WriteResult:
    """A failed result."""
    return WriteResult(ok=False, id=object_id, error_code=code, message=message)


def key_property(object_type: str, row: WriteRow) -> str:
    """The unique property a keyed create of this row is upserted through."""
    options = KEY_PROPERTIES.get(object_type, ())
    if not options:
        raise ValueError(f"HubSpot {object_type} has no unique key property for idempotent creates")
    key = (row.key or "").strip().casefold()
    for prop in options:
        if str(row.fields.get(prop, "")).strip().casefold() == key:
            return prop
    return options[0]


def upsert_input(prop: str, value: str, fields: dict[str, Any]) -> Input:
    """A batch upsert input by `prop`."""
    body = {"idProperty": prop, "id": value, "properties": {**fields, prop: value}}
    return Input(body, value.strip().casefold())


def task_properties(task: TaskSpec) -> dict[str, Any]:
    """A TaskSpec as HubSpot task properties."""
    props: dict[str, Any] = {
        "crmops_key": task.key,
        "hs_timestamp": str(to_ms(task.due)),
        "hs_task_subject": task.subject,
        "hs_task_body": task.description,
        "hs_task_status": TASK_STATUS[task.status],
        "hs_task_priority": TASK_PRIORITY[task.priority],
    }
    if task.owner_id:
        props["hubspot_owner_id"] = task.owner_id
    return props


def map_answer(inputs: Sequence[Input], body: Any, verb: str) -> list[WriteResult]:
    """One result per input from a batch answer (200, 201 or 207)."""
    body = body if isinstance(body, dict) else {}
    results = [r for r in body.get("results") or [] if isinstance(r, dict)]
    by_match: dict[str, dict[str, Any]] = {}
    for position, result in enumerate(results):
        by_match[_match_of(result, inputs, position, verb)] = result
    errors: dict[str, dict[str, Any]] = {}
    for error in body.get("errors") or []:
        for value in (error.get("context") or {}).get("ids") or []:
            errors[str(value).strip().casefold()] = error
    out = []
    for item in inputs:
        if item.match in by_match:
            found = by_match[item.match]
            out.append(WriteResult(ok=True, id=str(found["id"]), created=_created(found, verb)))
        elif item.match in errors:
            error = errors[item.match]
            out.append(failed(str(error.get("category")), str(error.get("message"))))
        else:
            out.append(failed("NO_RESULT", "HubSpot's answer did not mention this input"))
    return out


def _match_of(result: dict[str, Any], inputs: Sequence[Input], position: int, verb: str) -> str:
    if verb == "update":
        return str(result.get("id"))
    if verb == "upsert" and position < len(inputs):
        prop = inputs[position].body.get("idProperty", "")
        value = (result.get("properties") or {}).get(prop)
        if value is not None:
            return str(value).strip().casefold()
    trace = result.get("objectWriteTraceId")
    if trace is not None:
        return str(trace)
    # HubSpot answers a batch in input order when it gives nothing better to match by.
    return inputs[position].match if position < len(inputs) else ""


def _created(result: dict[str, Any], verb: str) -> bool:
    if verb == "upsert":
        return bool(result.get("new"))
    return verb == "create"


class Writer:
    """Batch writes for one portal through a Transport."""

    def __init__(self, transport: Transport, concurrency: int) -> None:
        self.t = transport
        self.concurrency = max(1, concurrency)

    def batched(self, object_type: str, verb: str, inputs: Sequence[Input]) -> list[WriteResult]:
        """Write inputs in batches of 100, several batches in flight; results in input order."""
        send = partial(self._send, object_type, verb)
        locate = partial(self._locate, object_type)
        return self._each_batch(inputs, lambda batch: write_isolating(batch, send, locate))

    def _each_batch(
        self, items: Sequence[Any], write: Callable[[Sequence[Any]], list[WriteResult]]
    ) -> list[WriteResult]:
        """Results of every batch in input order; a stop carries every answer it got.

        Raises:
            CrmError: a batch failed for good (budget cap, daily limit, fatal error).
                Its `partial_results` line up with `items`: the results of every batch
                answered (also those written beside or after the failing one, so no
                written record goes unreported), None for the rest.
        """
        batches = chunks(items)
        workers = min(self.concurrency, len(batches))
        answers: list[list[WriteResult] | None] = [None] * len(batches)
        stopped: CrmError | None = None
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            futures = [pool.submit(write, batch) for batch in batches]
            for n, future in enumerate(futures):
                try:
                    answers[n] = future.result()
                except CrmError as error:
                    stopped = stopped or error
        if stopped is not None:
            stopped.partial_results = [
                r
                for batch, answer in zip(batches, answers, strict=True)
                for r in (answer if answer is not None else [None] * len(batch))
            ]
            raise stopped
        return [r for answer in answers if answer is not None for r in answer]

    def _send(self, object_type: str, verb: str, inputs: Sequence[Input]) -> list[WriteResult]:
        api = self.t.sdk.crm.objects.batch_api
        method = getattr(api, f"{verb}_with_http_info")
        body = {"inputs": [item.body for item in inputs]}
        try:
            answer = self.t.call(
                f"POST /crm/v3/objects/{object_type}/batch/{verb}",
                partial(method, object_type, body),
                accept=REFUSED_WHOLE,
                resend=verb != "create",
            )
        except OutcomeUnknown as exc:
            return [failed("OUTCOME_UNKNOWN", exc.message) for _ in inputs]
        if answer.status in REFUSED_WHOLE:
            raise _rejection(answer.status, answer.body)
        return map_answer(inputs, answer.body, verb)

    def _locate(
        self, object_type: str, rejected: BatchRejected, inputs: Sequence[Input]
    ) -> list[int]:
        rows = [item.properties for item in inputs]
        unique = KEY_PROPERTIES.get(object_type, ())
        holder = existing_id(rejected.message)
        if holder is not None:
            values = self._unique_values(object_type, holder, unique)
            named = [i for i, row in enumerate(rows) if _holds_any(row, values)]
            return named or duplicates_within(rows, unique)
        if rejected.status == 409:
            return duplicates_within(rows, unique)
        if DUPLICATE_IDS in rejected.message:
            return duplicates_within([{"id": item.body.get("id")} for item in inputs], ["id"])
        details = property_details(rejected.message)
        if details:
            return locate_by_details(details, rows)
        return locate_by_value(rejected, [list(row.values()) for row in rows])

    def _unique_values(self, object_type: str, object_id: str, unique: Sequence[str]) -> set[str]:
        """The unique values the record a conflict names holds (one call)."""
        api = self.t.sdk.crm.objects.basic_api
        answer = self.t.call(
            f"GET /crm/v3/objects/{object_type}/{{id}}",
            partial(api.get_by_id_with_http_info, object_type, object_id, properties=list(unique)),
            accept=frozenset({404}),
        )
        props = (answer.body or {}).get("properties") or {} if answer.status == 200 else {}
        return {str(props[p]).strip().casefold() for p in unique if props.get(p)}

    def associate(
        self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]
    ) -> list[WriteResult]:
        """Default associations from -> to, 100 per call; one result per pair."""
        send = partial(self._send_links, from_type, to_type)

        def locate(rejected: BatchRejected, batch: Sequence[tuple[str, str]]) -> list[int]:
            return locate_by_value(rejected, [[f" {a} ", f" {b} "] for a, b in batch], "")

        return self._each_batch(pairs, lambda batch: write_isolating(batch, send, locate))

    def _send_links(
        self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]
    ) -> list[WriteResult]:
        api = self.t.sdk.crm.associations.v4.batch_api
        body = {"inputs": [{"from": {"id": a}, "to": {"id": b}} for a, b in pairs]}
        answer = self.t.call(
            f"POST /crm/v4/associations/{from_type}/{to_type}/batch/associate/default",
            partial(api.create_default_with_http_info, from_type, to_type, body),
            accept=ASSOCIATION_REFUSED,
        )
        if answer.status in ASSOCIATION_REFUSED:
            raise _rejection(answer.status, answer.body)
        return [WriteResult(ok=True, id=a) for a, _ in pairs]


def _holds_any(row: dict[str, Any], values: set[str]) -> bool:
    return any(str(v).strip().casefold() in values for v in row.values() if v)


def _rejection(status: int, body: Any) -> BatchRejected:
    data = body if isinstance(body, dict) else {}
    message = str(data.get("message") or f"HTTP {status}")
    context = dict(data.get("context") or {})
    names = [str(d.get("name")) for d in property_details(message) if d.get("name")]
    if names:
        context.setdefault("properties", names)
    return BatchRejected(status, str(data.get("category") or "ERROR"), message, context)


def checked_id(value: str) -> str | None:
    """A record id fit for a request, or None when it cannot be one."""
    try:
        return id_value(value)
    except ValueError:
        return None
