"""Build connectors from settings (production) or from plain connection values (sandbox, demo).

Production code never imports `sandbox`: `connect_sandbox` reads the running
sandbox's URLs, CA file and credentials by attribute and hands them to `connect_to`.
"""

from __future__ import annotations

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


def connect(settings: Settings, system: System, **options: Any) -> Connector:
    """A connector for one system, built from settings (`options` go to its constructor)."""
    if system == "salesforce":
        return salesforce(settings, **options)
    return hubspot(settings, **options)


def connect_to(
    *,
    salesforce_url: str,
    session_id: str,
    hubspot_url: str,
    token: str,
    ca_bundle: str | Path | None = None,
) -> tuple[SalesforceConnector, HubSpotConnector]:
    """Both connectors from plain connection values (a bare session id and a token)."""
    settings = Settings(
        salesforce=SalesforceSettings(
            auth=SalesforceAuth.SESSION, instance_url=salesforce_url, session_id=session_id
        ),
        hubspot=HubSpotSettings(access_token=token, host=hubspot_url),
        ca_bundle=Path(ca_bundle) if ca_bundle else None,
    )
    return salesforce(settings), hubspot(settings)


def connect_sandbox(running: Any) -> tuple[SalesforceConnector, HubSpotConnector]:
    """Both connectors on a running `sandbox.runtime.Sandbox` (read by attribute)."""
    return connect_to(
        salesforce_url=running.salesforce_url,
        session_id=running.salesforce_session_id,
        hubspot_url=running.hubspot_url,
        token=running.hubspot_token,
        ca_bundle=running.ca_bundle,
    )
