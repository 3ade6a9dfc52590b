"""Fill a new org: the seed generator's records when fixtures.seed exists, plus the basics."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

from sandbox.salesforce.org import Org, derive
from sandbox.salesforce.timefmt import format_datetime


def _basics(org: Org) -> Iterator[tuple[str, dict[str, Any]]]:
    """The Organization record and the integration user every org has."""
    now = org.now()
    system = {
        "CreatedDate": now,
        "LastModifiedDate": now,
        "SystemModstamp": now,
        "IsDeleted": False,
    }
    yield (
        "Organization",
        {
            "Id": org.options.org_id,
            "Name": "crmops Sandbox",
            "OrganizationType": "Enterprise Edition",
            "IsSandbox": False,
            **system,
        },
    )
    user = {
        "Id": org.integration_user_id,
        "Username": "integration@crmops.sandbox",
        "Email": "integration@crmops.sandbox",
        "FirstName": "Integration",
        "LastName": "User",
        "IsActive": True,
        "UserType": "Standard",
        **system,
    }
    derive("User", user)
    yield "User", user


def _seeded(org: Org) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        seed_module = importlib.import_module("fixtures.seed")
    except ImportError:
        return
    now = org.clock.now()
    for obj, record in seed_module.salesforce_seed(org.options.seed, org.options.size, now):
        for key, value in record.items():
            if key in ("CreatedDate", "LastModifiedDate", "SystemModstamp") and not isinstance(
                value, str
            ):
                record[key] = format_datetime(value)
        record.setdefault("IsDeleted", False)
        yield obj, record


def seed_org(org: Org) -> int:
    """Load the basics and (when size > 0) the seeded records; returns how many."""
    loaded = org.store.load(_basics(org))
    if org.options.size > 0:
        loaded += org.store.load(_seeded(org), bulk=True)
    return loaded
