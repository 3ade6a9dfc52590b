"""Helpers for rules-run tests: a provisioned sandbox, a rules context, counts of crmops tasks."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.settings import HubSpotSettings, SalesforceAuth, SalesforceSettings, Settings
from integrations import factory
from integrations.base import System
from integrations.factory import connect_sandbox
from integrations.provisioning import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS
from rules.engine import compile_rules
from rules.loader import load_rules
from sync.mapping import load_mapping
from sync.rulesjob import RulesContext
from sync.store import StateStore

SIZE = 20
WRITE_ENDPOINTS = {
    "salesforce": ("composite.sobjects.update", "composite.sobjects.upsert"),
    "hubspot": ("objects.batch.update", "objects.batch.upsert", "associations.batch.default"),
}
BATCH = {"salesforce": 200, "hubspot": 100}


def now() -> datetime:
    """The moment runs evaluate at (the sandbox seeds relative to the real clock)."""
    return datetime.now(UTC)


def start(make_sandbox: Callable[..., Any], **options: Any) -> Any:
    """A small sandbox without rate limits or search lag, crmops's fields provisioned."""
    options.setdefault("size", SIZE)
    running = make_sandbox(rate_limits=False, search_lag_seconds=0, **options)
    sf, hs = connect_sandbox(running)
    sf.provision(SALESFORCE_FIELDS, False)
    hs.provision(HUBSPOT_PROPERTIES, False)
    reset_counts(running)
    return running


def _no_wait(_seconds: float) -> None:
    """Retries resend at once: the sandbox's faults are not timing-dependent."""


def quick_connectors(running: Any) -> tuple[Any, Any]:
    """Connectors as `connect_sandbox` makes them, whose retries do not wait between attempts."""
    settings = Settings(
        salesforce=SalesforceSettings(
            auth=SalesforceAuth.SESSION,
            instance_url=running.salesforce_url,
            session_id=running.salesforce_session_id,
        ),
        hubspot=HubSpotSettings(access_token=running.hubspot_token, host=running.hubspot_url),
        ca_bundle=Path(running.ca_bundle),
    )
    sf = factory.salesforce(settings, sleep=_no_wait)
    hs = factory.hubspot(settings, now=running.hubspot.clock.now, retry_sleep=_no_wait)
    return sf, hs


def context(running: Any, path: Path) -> RulesContext:
    """A fresh rules context (own connectors) on the sandbox and a store file at `path`.

    The HubSpot connector waits for no search lag (the test sandbox has none), so an
    incremental read sees every change at once; retries of lost answers resend at once.
    """
    sf, hs = quick_connectors(running)
    hs.settings.search_lag_seconds = 0
    store = StateStore(f"sqlite:///{path}")
    connectors: dict[System, Any] = {"salesforce": sf, "hubspot": hs}
    return RulesContext(connectors, store, compile_rules(load_rules()), load_mapping())


def reset_counts(running: Any) -> None:
    """Start both sandboxes' call counters from zero."""
    running.salesforce.counter.reset()
    running.hubspot.counter.reset()


def counts(running: Any) -> dict[str, dict[str, int]]:
    """Calls each sandbox answered, by endpoint."""
    return {
        "salesforce": running.salesforce.counter.snapshot(),
        "hubspot": running.hubspot.counter.snapshot(),
    }


def writes(running: Any) -> dict[str, int]:
    """Write calls each sandbox answered."""
    return {
        system: sum(n for e, n in calls.items() if e in WRITE_ENDPOINTS[system])
        for system, calls in counts(running).items()
    }


def crmops_tasks(running: Any) -> dict[str, Counter[str]]:
    """Tasks in each sandbox that carry a crmops key: key -> how many (reads reset after)."""
    sf, hs = connect_sandbox(running)
    found = {
        "salesforce": Counter(
            str(t.fields["Crmops_Key__c"])
            for t in sf.read_all("Task", ["Crmops_Key__c"])
            if t.fields.get("Crmops_Key__c")
        ),
        "hubspot": Counter(
            str(t.fields["crmops_key"])
            for t in hs.read_all("tasks", ["crmops_key"])
            if t.fields.get("crmops_key")
        ),
    }
    return found


def at_most_full_batches(count: int, system: str) -> int:
    """Calls needed to write `count` records at the CRM's full batch size."""
    return math.ceil(count / BATCH[system])


def set_faults(running: Any, **faults: Any) -> None:
    """Set the same faults on both sandboxes."""
    running.salesforce.faults.configure(dict(faults))
    running.hubspot.faults.configure(dict(faults))
