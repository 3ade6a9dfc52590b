"""Salesforce records on the wire: timestamps, and query rows as plain Records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from integrations.base import Record

TIME_FIELD = "SystemModstamp"


def sf_datetime(value: datetime) -> str:
    """A datetime as Salesforce writes it: UTC with milliseconds."""
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def parse_sf_datetime(value: str) -> datetime:
    """`2026-03-10T18:00:00.000+0000` as an aware datetime."""
    return datetime.fromisoformat(value).astimezone(UTC)


def record_from(object: str, raw: dict[str, Any]) -> Record:
    """A query row as a Record; relationship fields flattened to `Owner.Email`."""
    fields: dict[str, Any] = {}
    for name, value in raw.items():
        if name == "attributes":
            continue
        if isinstance(value, dict) and "attributes" in value:
            for sub, sub_value in value.items():
                if sub != "attributes":
                    fields[f"{name}.{sub}"] = sub_value
        else:
            fields[name] = value
    return Record(
        object=object,
        id=raw["Id"],
        modified=parse_sf_datetime(raw[TIME_FIELD]),
        fields=fields,
        archived=bool(raw.get("IsDeleted", False)),
    )
