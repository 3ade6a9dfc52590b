"""Helpers for Salesforce connector tests: a sandbox, a connector on it, records loaded directly."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fixtures.ids import salesforce_id
from integrations.salesforce import SalesforceConnector

BASE_TIME = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
LEAD_PREFIX = "00Q"


def no_sleep(_: float) -> None:
    """Retry waits take no time in tests."""


def sandbox(make_sandbox: Callable[..., Any], **options: Any) -> Any:
    """A small, fast Salesforce sandbox: no seed data, no rate limits."""
    options.setdefault("size", 0)
    options.setdefault("rate_limits", False)
    return make_sandbox(**options)


def connector(sb: Any, **kwargs: Any) -> SalesforceConnector:
    """A connector on the sandbox with the real SDK, waits skipped."""
    kwargs.setdefault("sleep", no_sleep)
    kwargs.setdefault("timeout", 5.0)
    return SalesforceConnector(
        sb.salesforce_url, sb.salesforce_session_id, ca_bundle=sb.ca_bundle, **kwargs
    )


def stamp(moment: datetime) -> str:
    """A time in Salesforce's wire form."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def load_leads(
    sb: Any, count: int, modified: datetime = BASE_TIME, first: int = 0, **fields: Any
) -> list[str]:
    """Put leads straight into the sandbox's store with one SystemModstamp; returns their ids."""
    ids = [salesforce_id(LEAD_PREFIX, first + n) for n in range(count)]
    when = stamp(modified)
    rows = (
        (
            "Lead",
            {
                "Id": record_id,
                "LastName": f"Lead {first + n}",
                "Company": "Acme",
                "Status": "Open - Not Contacted",
                "CreatedDate": when,
                "LastModifiedDate": when,
                "SystemModstamp": when,
                "IsDeleted": False,
                **fields,
            },
        )
        for n, record_id in enumerate(ids)
    )
    sb.salesforce.store.load(rows)
    return ids


def calls(sb: Any, endpoint: str | None = None) -> int:
    """Calls the sandbox answered, all or for one endpoint."""
    snapshot = sb.salesforce.counter.snapshot()
    return sum(snapshot.values()) if endpoint is None else int(snapshot.get(endpoint, 0))


def faults(sb: Any, **values: Any) -> None:
    """Set sandbox faults (resets the fault RNG)."""
    sb.salesforce.faults.configure(values)


def later(minutes: float) -> datetime:
    """BASE_TIME plus some minutes."""
    return BASE_TIME + timedelta(minutes=minutes)
