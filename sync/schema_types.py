"""The state store's own column types: aware UTC datetimes and JSON values kept as text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, Text, TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; SQLite keeps it naive, so read values get UTC back.

    Naive datetimes are refused on write: a naive value in a cursor or a lease
    would compare wrongly against every aware one the connectors produce.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; naive on SQLite, which has no time zone type."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime given to the state store: {value.isoformat()}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Give back an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonText(TypeDecorator[Any]):
    """Any JSON value kept as compact text, so None, str, numbers and bools round-trip.

    None is stored as SQL NULL, so `IS NULL` finds it on every backend.
    """

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Encode as compact JSON with sorted keys; None becomes SQL NULL."""
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        """Decode the JSON text."""
        return None if value is None else json.loads(value)
