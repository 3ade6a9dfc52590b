"""Build connectors from settings (production) or from plain connection values (sandbox, demo).

Production code never imports `sandbox`: `connect_sandbox` reads the running
sandbox's URLs, CA file and credentials by attribute and hands them to `connect_to`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from config.settings import (
    HubSpotSettings,
    SalesforceAuth,
    SalesforceSettings,
    Settings,
    SettingsError,
)
from integrations.accounting import BudgetGuard, Meter
from integrations.base import Connector, System
from integrations.hubspot import HubSpotConnector
from integrations.salesforce import SalesforceConnector
from integrations.sf_auth import login_for
from integrations.sf_http import SYSTEM as SALESFORCE

Clock = Callable[[], datetime]


def salesforce(settings: Settings, **options: Any) -> SalesforceConnector:
    """The Salesforce connector the settings describe (signing in when the flow needs it).

    Args:
        settings: crmops settings; `salesforce` must be configured.
        **options: passed to SalesforceConnector (e.g. `time_zone`, `sleep`).

    Raises:
        SettingsError: Salesforce is not configured, naming the variables to set.
    """
    sf = settings.salesforce
    if not sf.configured:
        raise SettingsError(
            "Salesforce is not configured: set CRMOPS_SALESFORCE__SESSION_ID and "
            "CRMOPS_SALESFORCE__INSTANCE_URL, or the variables of another auth flow "
            "(CRMOPS_SALESFORCE__AUTH)"
        )
    auth = sf.resolved_auth()
    session_id = None
    if auth is SalesforceAuth.SESSION:
        assert sf.session_id is not None
        session_id = sf.session_id.get_secret_value()
    options.setdefault("meter", Meter(SALESFORCE, guard=BudgetGuard(share=sf.budget_share)))
    return SalesforceConnector(
        sf.instance_url or "",
        session_id,
        login=login_for(sf),
        ca_bundle=settings.ca_bundle,
        timeout=sf.timeout_seconds,
        api_version=sf.api_version,
        **options,
    )


def hubspot(settings: Settings, **options: Any) -> HubSpotConnector:
    """The HubSpot connector the settings describe.

    Raises:
        SettingsError: the token is missing, naming the variable.
    """
    settings.hubspot.require()
    ca = str(settings.ca_bundle) if settings.ca_bundle else None
    return HubSpotConnector(settings.hubspot, ca_bundle=ca, **options)


def connect(
    settings: Settings, system: System, *, time_zone: str | None = None, **options: Any
) -> Connector:
    """A connector for one system, built from settings (`options` go to its constructor).

    Args:
        settings: crmops settings.
        system: "salesforce" or "hubspot".
        time_zone: the org's zone (IANA name; pass the rules file's `timezone`). Salesforce
            Task `ActivityDate` is a bare date, taken in this zone (default UTC); HubSpot
            stores the exact due instant and needs no zone, so it ignores it.
        **options: passed to the connector's constructor.
    """
    if system == "salesforce":
        if time_zone is not None:
            options["time_zone"] = time_zone
        return salesforce(settings, **options)
    return hubspot(settings, **options)


def connect_to(
    *,
    salesforce_url: str,
    session_id: str,
    hubspot_url: str,
    token: str,
    ca_bundle: str | Path | None = None,
    time_zone: str = "UTC",
    now: Clock | None = None,
    search_lag_seconds: float | None = None,
) -> tuple[SalesforceConnector, HubSpotConnector]:
    """Both connectors from plain connection values (a bare session id and a token).

    Args:
        salesforce_url: the instance URL.
        session_id: a Salesforce session id.
        hubspot_url: the HubSpot API host.
        token: a HubSpot private-app token.
        ca_bundle: CA file to trust instead of the system's.
        time_zone: the org's zone (IANA name) that Task ActivityDate dates are taken in;
            callers pass the rules file's `time_zone`.
        now: the HubSpot portal's clock (a sandbox's, whose clock tests advance).
        search_lag_seconds: how far HubSpot search trails writes; default the settings'.
    """
    lag = {} if search_lag_seconds is None else {"search_lag_seconds": search_lag_seconds}
    settings = Settings(
        salesforce=SalesforceSettings(
            auth=SalesforceAuth.SESSION, instance_url=salesforce_url, session_id=session_id
        ),
        hubspot=HubSpotSettings(access_token=token, host=hubspot_url, **lag),
        ca_bundle=Path(ca_bundle) if ca_bundle else None,
    )
    return salesforce(settings, time_zone=time_zone), hubspot(settings, now=now)


def connect_sandbox(
    running: Any, *, time_zone: str = "UTC"
) -> tuple[SalesforceConnector, HubSpotConnector]:
    """Both connectors on a running `sandbox.runtime.Sandbox` (read by attribute).

    The HubSpot connector runs on the sandbox's clock and waits out the sandbox's own
    search lag (not production's minute), so a test that advances the sandbox clock,
    or a sandbox started without lag, sees fresh records at once.
    """
    clock = getattr(getattr(running, "hubspot", None), "clock", None)
    options = getattr(running, "options", None)
    lag = getattr(options, "search_lag_seconds", None)
    return connect_to(
        salesforce_url=running.salesforce_url,
        session_id=running.salesforce_session_id,
        hubspot_url=running.hubspot_url,
        token=running.hubspot_token,
        ca_bundle=running.ca_bundle,
        time_zone=time_zone,
        now=clock.now if clock is not None else None,
        search_lag_seconds=float(lag) if lag is not None else None,
    )
