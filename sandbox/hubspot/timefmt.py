"""HubSpot's wire formats for time: ISO `2026-03-10T18:00:00.000Z` out, ISO or epoch ms in."""

from __future__ import annotations

from datetime import UTC, date, datetime


def to_ms(moment: datetime) -> int:
    """Epoch milliseconds of an aware datetime."""
    return int(moment.timestamp() * 1000)


def iso(ms: int) -> str:
    """Epoch milliseconds as HubSpot writes them."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def parse_ms(value: object) -> int:
    """Epoch ms from what a client may send: epoch ms (number or digits), ISO datetime or date.

    Raises:
        ValueError: when the value is neither.
    """
    if isinstance(value, bool):
        raise ValueError(f"not a datetime: {value!r}")
    if isinstance(value, int | float):
        return int(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    if len(text) == 10:
        day = date.fromisoformat(text)
        return to_ms(datetime(day.year, day.month, day.day, tzinfo=UTC))
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return to_ms(moment)


def normalise(value: object) -> str:
    """A datetime value as the ISO string HubSpot stores and answers."""
    return iso(parse_ms(value))
