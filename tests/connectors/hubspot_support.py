"""Helpers for the HubSpot connector tests: a connector on a sandbox, admin calls, counts."""

from __future__ import annotations

from typing import Any

import requests

from config.settings import HubSpotSettings
from integrations.accounting import BudgetGuard
from integrations.hubspot import HubSpotConnector

FAST_SEARCH = 1_000  # searches per second when a test is about paging, not pacing


class Sleeps:
    """A retry sleep that waits for nothing and remembers what it was asked."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def connector(
    sb: Any,
    *,
    guard: BudgetGuard | None = None,
    sleep: Any = None,
    token: str | None = None,
    **settings: Any,
) -> HubSpotConnector:
    """A HubSpotConnector on the sandbox, on the sandbox's clock, retries not waiting."""
    options = {
        "access_token": token or sb.hubspot_token,
        "host": sb.hubspot_url,
        "search_lag_seconds": sb.options.search_lag_seconds,
        "calls_per_10s": sb.options.hubspot_calls_per_10s,
        "search_per_second": sb.options.hubspot_search_per_second,
    }
    options.update(settings)
    return HubSpotConnector(
        HubSpotSettings(**options),
        ca_bundle=sb.ca_bundle,
        guard=guard,
        now=sb.hubspot.clock.now,
        retry_sleep=sleep if sleep is not None else Sleeps(),
    )


def admin(sb: Any, path: str, body: dict[str, Any] | None = None) -> Any:
    """POST to a HubSpot sandbox admin endpoint (never counted); returns its JSON."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sb.ca_bundle
    session.headers["Authorization"] = f"Bearer {sb.hubspot_token}"
    response = session.post(f"{sb.hubspot_url}/__admin{path}", json=body or {})
    assert response.status_code < 300, response.text
    return response.json() if response.content else None


def bulk(sb: Any, kind: str, count: int, age_seconds: float, **properties: str) -> int:
    """Insert `count` records sharing one modified time, `age_seconds` ago; first id."""
    body = {"type": kind, "count": count, "age_seconds": age_seconds, "properties": properties}
    return int(admin(sb, "/hubspot/bulk", body)["first_id"])


def calls(sb: Any, endpoint: str | None = None) -> int:
    """Calls the HubSpot sandbox answered (one endpoint, or all)."""
    counts = sb.hubspot.counter.snapshot()
    return int(counts.get(endpoint, 0) if endpoint else sum(counts.values()))


def live(sb: Any, kind: str, prop: str, value: str) -> int:
    """How many live records hold `value` in `prop` (straight from the sandbox store)."""
    rows = sb.hubspot.store.query(
        "SELECT COUNT(*) FROM objects WHERE type=? AND archived=0 "
        "AND lower(json_extract(props, '$.' || ?))=lower(?)",
        (kind, prop, value),
    )
    return int(rows[0][0])


def record_statuses(sb: Any) -> list[int]:
    """The HTTP status of every answer the sandbox's HubSpot gives from now on, in order."""
    statuses: list[int] = []
    passed = sb.hubspot.dispatch

    def recording(request: Any) -> Any:
        answer = passed(request)
        statuses.append(answer.status)
        return answer

    sb.hubspot.dispatch = recording
    return statuses
