"""Which HubSpot scopes the private app lacks, for `crmops doctor`.

HubSpot lists a private app's scopes through its token-info endpoint. Where that
answers nothing (another token kind, a stand-in API), read access is probed with
one single-record list call per object crmops reads: a 403 names the scope it
lacks. Write scopes cannot be probed without writing, so they stay unverified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from integrations.hubspot_http import Transport

TOKEN_INFO_PATH = "/oauth/v2/private-apps/get/access-token-info"
# Every scope crmops uses: records, properties (describe, provision) and owners.
# HubSpot puts tasks under the contacts scopes.
REQUIRED_SCOPES = (
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.owners.read",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
)
# Object probed -> the read scope its list call needs.
READ_PROBES = {
    "contacts": "crm.objects.contacts.read",
    "companies": "crm.objects.companies.read",
    "deals": "crm.objects.deals.read",
    "tasks": "crm.objects.contacts.read",
}
NOT_LISTED = frozenset({400, 401, 403, 404})


@dataclass(frozen=True)
class ScopeCheck:
    """What the scope check found.

    Attributes:
        missing: scopes crmops needs that the app lacks ("a or b" when either does).
        unverified: needed scopes that could not be checked (no token info).
    """

    missing: tuple[str, ...]
    unverified: tuple[str, ...] = ()


def granted_scopes(transport: Transport, token: str) -> frozenset[str] | None:
    """The token's scopes from HubSpot's token-info endpoint; None when it does not say."""
    answer = transport.raw(
        f"POST {TOKEN_INFO_PATH}", "POST", TOKEN_INFO_PATH, {"tokenKey": token}, NOT_LISTED
    )
    scopes = (answer.body or {}).get("scopes") if answer.status == 200 else None
    return frozenset(str(s) for s in scopes) if isinstance(scopes, list) else None


def required_in(body: Any) -> list[str]:
    """The scopes a 403 MISSING_SCOPES answer names (any one of them would do)."""
    data = body if isinstance(body, dict) else {}
    named: list[str] = []
    for error in data.get("errors") or []:
        context = (error or {}).get("context") or {}
        for key in ("requiredGranularScopes", "requiredScopes"):
            named += [str(s) for s in context.get(key) or []]
    return list(dict.fromkeys(named))


def check_scopes(
    transport: Transport, token: str, required: Sequence[str] = REQUIRED_SCOPES
) -> ScopeCheck:
    """Scopes the app lacks: from its scope list, else by probing read access."""
    granted = granted_scopes(transport, token)
    if granted is not None:
        return ScopeCheck(tuple(s for s in required if s not in granted))
    api = transport.sdk.crm.objects.basic_api
    missing: list[str] = []
    for object_type, scope in READ_PROBES.items():
        answer = transport.call(
            f"GET /crm/v3/objects/{object_type}",
            partial(api.get_page_with_http_info, object_type, limit=1),
            accept=frozenset({403}),
        )
        if answer.status == 403:
            missing.append(" or ".join(required_in(answer.body) or [scope]))
    probed = set(READ_PROBES.values())
    unverified = tuple(s for s in required if s not in probed)
    return ScopeCheck(tuple(dict.fromkeys(missing)), unverified)
