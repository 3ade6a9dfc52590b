"""HubSpot association reads: which records of one type each record is associated with (v4)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from integrations.hubspot_batch import chunks
from integrations.hubspot_http import Transport
from integrations.hubspot_writes import checked_id

ASSOCIATION_READ_LIMIT = 100  # ids per v4 batch/read call


def associated_ids(
    transport: Transport, from_type: str, to_type: str, ids: Sequence[str]
) -> dict[str, list[str]]:
    """Record id -> ids of the `to_type` records it is associated with (any label).

    One v4 `batch/read` per 100 ids; ids with no association (HubSpot answers 207
    naming them) and non-numeric ids are left out.
    """
    wanted = [i for i in dict.fromkeys(checked_id(i) for i in ids) if i is not None]
    found: dict[str, list[str]] = {}
    for batch in chunks(wanted, ASSOCIATION_READ_LIMIT):
        found.update(_read(transport, from_type, to_type, batch))
    return found


def _read(
    transport: Transport, from_type: str, to_type: str, ids: Sequence[str]
) -> dict[str, list[str]]:
    api = transport.sdk.crm.associations.v4.batch_api
    body = {"inputs": [{"id": i} for i in ids]}
    answer = transport.call(
        f"POST /crm/v4/associations/{from_type}/{to_type}/batch/read",
        partial(api.get_page_with_http_info, from_type, to_type, body),
    )
    found: dict[str, list[str]] = {}
    for result in (answer.body or {}).get("results") or []:
        source = str((result.get("from") or {}).get("id") or "")
        targets = [str(t["toObjectId"]) for t in result.get("to") or [] if t.get("toObjectId")]
        if source and targets:
            found[source] = list(dict.fromkeys([*found.get(source, []), *targets]))
    return found


def remove_associations(
    transport: Transport, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]
) -> None:
    """Remove associations (from id, to id), every label, 100 sources a call (v4 batch archive).

    Removing an association that is not there is a no-op, so a resent call is safe.
    """
    targets: dict[str, list[str]] = {}
    for a, b in pairs:
        targets.setdefault(a, []).append(b)
    api = transport.sdk.crm.associations.v4.batch_api
    for batch in chunks(list(targets), ASSOCIATION_READ_LIMIT):
        body = {
            "inputs": [{"from": {"id": a}, "to": [{"id": b} for b in targets[a]]} for a in batch]
        }
        transport.call(
            f"POST /crm/v4/associations/{from_type}/{to_type}/batch/archive",
            partial(api.archive_with_http_info, from_type, to_type, body),
        )
