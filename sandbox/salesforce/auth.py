"""Sign-in endpoints: OAuth 2.0 token (password, client credentials, JWT) and SOAP login."""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from sandbox.http import Request, Response

if TYPE_CHECKING:
    from sandbox.salesforce.app import SalesforceApp

GRANTS = {
    "password",
    "client_credentials",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "refresh_token",
}
_SOAP_FIELD = re.compile(r"<(?:\w+:)?(username|password)>(.*?)</(?:\w+:)?\1>", re.S)
_SOAP_FAULT = (
    '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
    'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault>'
    "<faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, password, "
    "security token; or user locked out.</faultstring><detail><sf:LoginFault>"
    "<sf:exceptionCode>INVALID_LOGIN</sf:exceptionCode><sf:exceptionMessage>Invalid username, "
    "password, security token; or user locked out.</sf:exceptionMessage></sf:LoginFault>"
    "</detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
)


def _new_session(app: SalesforceApp) -> str:
    """A fresh session id the app accepts from now on (and a renewed session-expiry count)."""
    session = app.options.org_id[:15] + "!" + secrets.token_urlsafe(48)
    app.guard.sessions.add(session)
    app.faults.renew_session()
    return session


def token(app: SalesforceApp, request: Request) -> Response:
    """POST /services/oauth2/token."""
    form = dict(request.query)
    form.update(parse_qs(request.body.decode("utf-8", "replace")))
    fields = {key: values[0] for key, values in form.items() if values}
    grant = fields.get("grant_type", "")
    if grant not in GRANTS:
        return Response(
            400,
            {"error": "unsupported_grant_type", "error_description": "grant type not supported"},
        )
    if grant == "password" and not (fields.get("username") and fields.get("password")):
        return Response(
            400, {"error": "invalid_grant", "error_description": "authentication failure"}
        )
    instance = f"https://{request.header('Host') or '127.0.0.1'}"
    return Response(
        200,
        {
            "access_token": _new_session(app),
            "instance_url": instance,
            "id": f"{instance}/id/{app.options.org_id}/{app.org.integration_user_id}",
            "token_type": "Bearer",
            "issued_at": str(int(time.time() * 1000)),
            "signature": secrets.token_urlsafe(32),
        },
    )


def soap_login(app: SalesforceApp, request: Request, version: str) -> Response:
    """POST /services/Soap/u/{version}: the partner API login simple-salesforce uses."""
    found = dict(_SOAP_FIELD.findall(request.body.decode("utf-8", "replace")))
    xml = {"Content-Type": "text/xml;charset=UTF-8"}
    if not (found.get("username") and found.get("password")):
        return Response(500, _SOAP_FAULT.encode(), xml)
    host = f"https://{request.header('Host') or '127.0.0.1'}"
    org_id = app.options.org_id
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope '
        'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
        f"<metadataServerUrl>{host}/services/Soap/m/{version}/{org_id}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
        f"<serverUrl>{host}/services/Soap/u/{version}/{org_id}</serverUrl>"
        f"<sessionId>{_new_session(app)}</sessionId>"
        f"<userId>{app.org.integration_user_id}</userId>"
        f"<userInfo><organizationId>{org_id}</organizationId></userInfo>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response(200, body.encode(), xml)
