"""Salesforce sign-in: each auth flow from settings as a function that returns a fresh session.

A flow that can sign in again by itself (password, OAuth password, JWT, client
credentials) yields a `Login`; the connector calls it at start and again when a
session expires. A bare session id has no `Login` and cannot be renewed.
`domain` is `login`, `test`, a My Domain host (`acme.my`), or a full https URL
(a sandbox or proxy), in which case the token endpoint is under that URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests
from simple_salesforce.login import SalesforceLogin, token_login

from config.settings import SalesforceAuth, SalesforceSettings

# Signs in through the given session; returns (session id, instance host[:port]).
Login = Callable[[requests.Session], tuple[str, str]]
TOKEN_PATH = "/services/oauth2/token"


def token_url(domain: str | None) -> str:
    """The OAuth token endpoint for a domain setting."""
    domain = domain or "login"
    if domain.startswith("https://"):
        return domain.rstrip("/") + TOKEN_PATH
    return f"https://{domain}.salesforce.com{TOKEN_PATH}"


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def login_for(settings: SalesforceSettings) -> Login | None:
    """The sign-in function for the configured flow, or None for a bare session id.

    Args:
        settings: the Salesforce settings (their flow is checked here).

    Returns:
        A function returning (session id, instance), or None for `session` auth.
    """
    auth = settings.resolved_auth()
    if auth is SalesforceAuth.SESSION:
        return None
    if auth in (SalesforceAuth.OAUTH_PASSWORD, SalesforceAuth.CLIENT_CREDENTIALS):
        data = _token_data(settings, auth)
        url = token_url(settings.domain)
        return lambda session: _token(url, data, settings, session)
    return lambda session: _sdk_login(settings, session)


def _token_data(settings: SalesforceSettings, auth: SalesforceAuth) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client_id": settings.consumer_key,
        "client_secret": _secret(settings.consumer_secret),
    }
    if auth is SalesforceAuth.OAUTH_PASSWORD:
        data.update(
            grant_type="password",
            username=settings.username,
            password=(_secret(settings.password) or "") + (_secret(settings.security_token) or ""),
        )
    else:
        data["grant_type"] = "client_credentials"
    return data


def _token(
    url: str, data: dict[str, Any], settings: SalesforceSettings, session: requests.Session
) -> tuple[str, str]:
    session_id, instance = token_login(
        url, data, settings.domain or "login", str(settings.consumer_key), None, None, session
    )
    return str(session_id), str(instance)


def _sdk_login(settings: SalesforceSettings, session: requests.Session) -> tuple[str, str]:
    """SOAP password and JWT flows, through simple-salesforce's own login."""
    domain = settings.domain or "login"
    scratch = domain if domain.startswith("https://") else None
    session_id, instance = SalesforceLogin(
        username=settings.username,
        password=_secret(settings.password),
        security_token=_secret(settings.security_token),
        consumer_key=settings.consumer_key,
        privatekey_file=str(settings.privatekey_file) if settings.privatekey_file else None,
        privatekey=_secret(settings.privatekey),
        session=session,
        domain=None if scratch else domain,
        sf_version=settings.api_version,
        scratch_url=scratch,
    )
    return str(session_id), str(instance)
