"""HubSpot property history: when each property last changed, by batch read with history.

HubSpot answers `propertiesWithHistory` newest first, and takes at most 50 inputs
in a batch read that asks for history (more are refused with a 400).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from integrations.hubspot_batch import chunks
from integrations.hubspot_http import Transport
from integrations.hubspot_search import parse_time
from integrations.hubspot_writes import checked_id

HISTORY_BATCH_LIMIT = 50


def read_history(
    transport: Transport, object: str, ids: Sequence[str], properties: Sequence[str]
) -> dict[str, dict[str, datetime]]:
    """When each property of each record last changed.

    Args:
        transport: the portal's transport.
        object: HubSpot object type (contacts, companies, deals).
        ids: record ids; missing or non-numeric ones are left out of the answer.
        properties: property names.

    Returns:
        record id -> property -> time of its newest history entry (properties with no
        history are left out).
    """
    wanted = [i for i in dict.fromkeys(checked_id(i) for i in ids) if i is not None]
    if not wanted or not properties:
        return {}
    found: dict[str, dict[str, datetime]] = {}
    for batch in chunks(wanted, HISTORY_BATCH_LIMIT):
        for raw in _read(transport, object, list(properties), batch):
            times = _latest(raw.get("propertiesWithHistory") or {})
            if times:
                found[str(raw["id"])] = times
    return found


def _read(
    transport: Transport, object: str, properties: list[str], ids: Sequence[str]
) -> list[dict[str, Any]]:
    api = transport.sdk.crm.objects.batch_api
    body = {
        "inputs": [{"id": i} for i in ids],
        "properties": [],
        "propertiesWithHistory": properties,
    }
    answer = transport.call(
        f"POST /crm/v3/objects/{object}/batch/read",
        partial(api.read_with_http_info, object, body),
    )
    return list((answer.body or {}).get("results") or [])


def _latest(history: dict[str, Any]) -> dict[str, datetime]:
    """Property -> its newest entry's time (HubSpot lists newest first; max() guards order)."""
    times: dict[str, datetime] = {}
    for name, entries in history.items():
        stamps = [parse_time(e["timestamp"]) for e in entries or [] if e.get("timestamp")]
        if stamps:
            times[name] = datetime.fromtimestamp(max(stamps) / 1000, tz=UTC)
    return times
