"""sObject Collections writes: full batches of 200, one result per record, locked rows again.

Pure over a `send` function (one HTTP call per chunk), so the batching, the
per-record answers and the UNABLE_TO_LOCK_ROW resubmission are tested alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from integrations.base import TaskSpec, WriteResult
from integrations.errors import CrmError
from integrations.provisioning import SALESFORCE_KEY_FIELDS, SALESFORCE_TASK_STATUSES
from integrations.sf_records import sf_datetime
from integrations.streams import slices

COLLECTION_SIZE = 200
LOCKED = "UNABLE_TO_LOCK_ROW"
LOCK_ROUNDS = 3

# One call: records in, Salesforce's per-record answers out, same order.
Send = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
Pause = Callable[[int], None]


def chunks(items: Sequence[Any], size: int = COLLECTION_SIZE) -> list[Sequence[Any]]:
    """`items` in consecutive slices of at most `size` (a collection's 200 by default)."""
    return slices(items, size)


def to_result(answer: dict[str, Any], created_default: bool) -> WriteResult:
    """A WriteResult from one entry of a collection answer."""
    if answer.get("success"):
        return WriteResult(
            ok=True, id=answer.get("id"), created=bool(answer.get("created", created_default))
        )
    errors = answer.get("errors") or [{}]
    first = errors[0]
    return WriteResult(
        ok=False,
        id=answer.get("id"),
        error_code=first.get("statusCode", "UNKNOWN_ERROR"),
        message=first.get("message", ""),
        fields=tuple(first.get("fields") or ()),
    )


def write_collection(
    send: Send,
    records: Sequence[dict[str, Any]],
    *,
    created_default: bool,
    pause: Pause | None = None,
    lock_rounds: int = LOCK_ROUNDS,
) -> list[WriteResult]:
    """Write records in full collections; resubmit only the locked ones, a bounded number of times.

    Args:
        send: makes one collection call.
        records: the collection records (with `attributes`), in input order.
        created_default: `created` for successes whose answer does not say (true for creates).
        pause: called with the round number before each resubmission round.
        lock_rounds: how many times locked records are resubmitted at most.

    Returns:
        One WriteResult per record, in input order.

    Raises:
        CrmError: a call failed for good; its `partial_results` line up with `records`:
            a WriteResult for each record answered before it stopped, None for the rest.
    """
    results: list[WriteResult] = []
    try:
        for chunk in chunks(records):
            results.extend(to_result(a, created_default) for a in send(list(chunk)))
        _resubmit_locked(send, records, results, created_default, pause, lock_rounds)
    except CrmError as stopped:
        stopped.partial_results = [*results, *([None] * (len(records) - len(results)))]
        raise
    return results


def _resubmit_locked(
    send: Send,
    records: Sequence[dict[str, Any]],
    results: list[WriteResult],
    created_default: bool,
    pause: Pause | None,
    lock_rounds: int,
) -> None:
    """Send the UNABLE_TO_LOCK_ROW records again, only them, `lock_rounds` times at most."""
    for round_number in range(lock_rounds):
        locked = [i for i, r in enumerate(results) if r.error_code == LOCKED]
        if not locked:
            return
        if pause is not None:
            pause(round_number)
        for chunk in chunks(locked):
            answers = send([records[i] for i in chunk])
            for index, answer in zip(chunk, answers, strict=True):
                results[index] = to_result(answer, created_default)


def collection_record(object: str, fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """One record of a collection body."""
    return {"attributes": {"type": object}, **fields, **extra}


def key_field(object: str) -> str:
    """The external-id field keyed creates of `object` go through.

    Raises:
        ValueError: the object has no crmops key field.
    """
    try:
        return SALESFORCE_KEY_FIELDS[object]
    except KeyError:
        raise ValueError(f"{object} has no crmops key field; create it without a key") from None


def task_fields(task: TaskSpec, time_zone: ZoneInfo) -> dict[str, Any]:
    """A TaskSpec as Task fields: the due date in the org's zone, the exact due time as reminder."""
    due = task.due if task.due.tzinfo else task.due.replace(tzinfo=UTC)
    fields: dict[str, Any] = {
        SALESFORCE_KEY_FIELDS["Task"]: task.key,
        "Subject": task.subject,
        "ActivityDate": due.astimezone(time_zone).date().isoformat(),
        "ReminderDateTime": sf_datetime(due),
        "IsReminderSet": True,
        "Status": SALESFORCE_TASK_STATUSES[task.status],
        "Priority": task.priority,
        "Description": task.description,
    }
    for name, value in (
        ("OwnerId", task.owner_id),
        ("WhoId", task.who_id),
        ("WhatId", task.what_id),
    ):
        if value:
            fields[name] = value
    return fields
