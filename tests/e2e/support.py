"""Helpers for end-to-end tests on the sandbox: settings, connectors, a store, admin calls.

`Harness(sandbox, tmp_path)` provisions crmops's fields once, opens a state store in
`tmp_path`, and runs sync / apply / undo in process with fresh connectors each time
(so API calls are per run). `env(sandbox, state_url)` gives the CRMOPS_* variables
for running the CLI against the same sandbox.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from config.settings import HubSpotSettings, SalesforceAuth, SalesforceSettings, Settings
from integrations import factory
from integrations.base import Connector, Record
from integrations.provisioning import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS
from sync.apply import ApplyOptions
from sync.mapping import Side
from sync.plan import Plan
from sync.runs import RunReport, sync_run
from sync.store import StateStore


def settings_for(sb: Any, state_url: str = "sqlite:///state.db") -> Settings:
    """Settings for a running sandbox: session-id auth, its CA, search lag 0.

    The tests start sandboxes with rate limits off, so the client-side pacing is
    opened up to match (HubSpot's real 5 searches a second would only make tests wait).
    """
    return Settings(
        salesforce=SalesforceSettings(
            auth=SalesforceAuth.SESSION,
            instance_url=sb.salesforce_url,
            session_id=sb.salesforce_session_id,
        ),
        hubspot=HubSpotSettings(
            access_token=sb.hubspot_token,
            host=sb.hubspot_url,
            search_lag_seconds=0,
            search_per_second=100,
            calls_per_10s=10_000,
        ),
        ca_bundle=Path(sb.ca_bundle),
        state_url=state_url,
    )


def env(sb: Any, state_url: str) -> dict[str, str]:
    """CRMOPS_* variables for the CLI on this sandbox."""
    return {
        "CRMOPS_SALESFORCE__AUTH": "session",
        "CRMOPS_SALESFORCE__INSTANCE_URL": sb.salesforce_url,
        "CRMOPS_SALESFORCE__SESSION_ID": sb.salesforce_session_id,
        "CRMOPS_HUBSPOT__HOST": sb.hubspot_url,
        "CRMOPS_HUBSPOT__ACCESS_TOKEN": sb.hubspot_token,
        "CRMOPS_HUBSPOT__SEARCH_LAG_SECONDS": "0",
        "CRMOPS_CA_BUNDLE": sb.ca_bundle,
        "CRMOPS_STATE_URL": state_url,
        "COLUMNS": "200",
    }


def connectors(sb: Any) -> dict[Side, Connector]:
    """Fresh connectors on the sandbox (their API counts start at zero)."""
    settings = settings_for(sb)
    return {"salesforce": factory.salesforce(settings), "hubspot": factory.hubspot(settings)}


def admin(sb: Any, system: str, path: str, body: Any = None) -> Any:
    """POST to a sandbox admin endpoint (never counted); returns its JSON, if any."""
    base = sb.salesforce_url if system == "salesforce" else sb.hubspot_url
    session = requests.Session()
    session.trust_env = False
    answer = session.post(
        f"{base}/__admin/{path.lstrip('/')}", json=body or {}, verify=sb.ca_bundle
    )
    answer.raise_for_status()
    return answer.json() if answer.content else None


def hubspot_call(sb: Any, method: str, path: str, body: Any = None) -> Any:
    """A raw HubSpot API call (merge, GDPR delete) as another app would make it."""
    session = requests.Session()
    session.trust_env = False
    answer = session.request(
        method,
        f"{sb.hubspot_url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {sb.hubspot_token}"},
        verify=sb.ca_bundle,
    )
    answer.raise_for_status()
    return answer.json() if answer.content else None


def plan_shape(plan: Plan, look_alikes: bool = True) -> dict[str, Any]:
    """Everything a plan decides, order aside; `look_alikes=False` leaves fuzzy items out."""
    return {
        "updates": sorted(
            (u.system, u.record_id, c.field, repr(c.new)) for u in plan.updates for c in u.changes
        ),
        "creates": sorted((c.system, c.object, c.key) for c in plan.creates),
        "links": sorted((x.salesforce_id, x.hubspot_id, x.how) for x in plan.links),
        "moves": sorted((m.system, m.from_id, m.to_id) for m in plan.moves),
        "review": sorted(
            (r.kind, tuple(sorted(r.records)))
            for r in plan.review
            if look_alikes or r.kind != "fuzzy"
        ),
    }


class Harness:
    """A sandbox with crmops's fields provisioned and a state store of its own."""

    def __init__(self, sb: Any, tmp_path: Path, name: str = "state.db") -> None:
        self.sb = sb
        self.state_url = f"sqlite:///{tmp_path / name}"
        self.store = StateStore(self.state_url)
        sf_hs = connectors(sb)
        sf_hs["salesforce"].provision(SALESFORCE_FIELDS, False)
        sf_hs["hubspot"].provision(HUBSPOT_PROPERTIES, False)

    def sync(self, options: ApplyOptions | None = None, **kwargs: Any) -> RunReport:
        """One `crmops sync` in process, with fresh connectors."""
        return sync_run(
            self.store, connectors(self.sb), datetime.now(UTC), options=options, **kwargs
        )

    def read(self, system: Side, object: str, ids: list[str], fields: list[str]) -> list[Record]:
        """Records by id, as the CRM holds them now."""
        return connectors(self.sb)[system].read_by_ids(object, ids, fields)

    def one(self, system: Side, object: str, record_id: str, fields: list[str]) -> dict[str, Any]:
        """One record's fields (only those asked for)."""
        found = self.read(system, object, [record_id], fields)
        assert found, f"{system} {object} {record_id} not found"
        return {name: found[0].fields.get(name) for name in fields}

    def partner(self, system: Side, record_id: str) -> str:
        """The id of the record linked to this one on the other side."""
        link = self.store.links_for_ids(system, [record_id])[record_id]
        other = "hubspot" if system == "salesforce" else "salesforce"
        return self.store.records_for([link.stable_id], other)[link.stable_id].record_id

    def close(self) -> None:
        """Close the store."""
        self.store.close()
