"""SDK clients pointed at a running sandbox, as the connectors build them."""

from __future__ import annotations

from typing import Any

import requests
import urllib3
from hubspot import HubSpot


def hubspot_client(sandbox: Any, retries: int = 0) -> HubSpot:
    """hubspot-api-client against the sandbox (urllib3 retries off unless asked: counted once)."""
    return HubSpot(
        access_token=sandbox.hubspot_token,
        host=sandbox.hubspot_url,
        ssl_ca_cert=sandbox.ca_bundle,
        retry=urllib3.Retry(total=retries),
    )


def hubspot_raw(sandbox: Any, token: str | None = None) -> requests.Session:
    """A plain HTTPS session for status codes and headers the SDK hides."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox.ca_bundle
    session.headers["Authorization"] = f"Bearer {token or sandbox.hubspot_token}"
    return session


def salesforce_client(sandbox: Any, session_id: str | None = None) -> Any:
    """simple-salesforce against the sandbox, on a session that ignores the environment."""
    from simple_salesforce import Salesforce

    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox.ca_bundle
    return Salesforce(
        instance_url=sandbox.salesforce_url,
        session_id=session_id or sandbox.salesforce_session_id,
        session=session,
        version="59.0",
    )


def salesforce_raw(sandbox: Any, session_id: str | None = None) -> requests.Session:
    """A plain HTTPS session with the sandbox's bearer token, for admin calls and raw checks."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox.ca_bundle
    session.headers["Authorization"] = f"Bearer {session_id or sandbox.salesforce_session_id}"
    return session
