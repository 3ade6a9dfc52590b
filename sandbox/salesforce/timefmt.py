"""Salesforce's wire formats for datetimes (`2026-03-10T18:00:00.000+0000`) and dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:?\d{2})?$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def format_datetime(moment: datetime) -> str:
    """A datetime the way the REST API writes it, always UTC."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def parse_datetime(text: str) -> datetime:
    """Read any ISO-8601 datetime Salesforce accepts; naive means UTC.

    Raises:
        ValueError: not a datetime.
    """
    found = _DATETIME.match(text.strip())
    if found is None:
        raise ValueError(f"not a datetime: {text}")
    zone = found.group(8) or "Z"
    if zone != "Z" and ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    fraction = (found.group(7) or "0").ljust(6, "0")
    base = text.strip()[:19]
    return datetime.fromisoformat(f"{base}.{fraction}{'+00:00' if zone == 'Z' else zone}")


def canonical_datetime(text: str) -> str:
    """Any accepted datetime string in the canonical stored form (sorts as text)."""
    return format_datetime(parse_datetime(text))


def is_date(text: object) -> bool:
    """True for a `YYYY-MM-DD` string that is a real date."""
    if not isinstance(text, str) or not _DATE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True
