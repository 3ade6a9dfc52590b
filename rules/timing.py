"""Time as the SOP defines it: calendar days, elapsed hours, business hours and business days.

Every function takes and returns aware datetimes in UTC (comparisons between
datetimes sharing one ZoneInfo compare wall times, which is wrong in the autumn
fold, so local time is only used inside these functions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DURATION_PATTERN = re.compile(r"^(-?)(\d+)(m|h|d)$")
UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
CALENDAR = "calendar"
BUSINESS = "business"


@dataclass(frozen=True, slots=True)
class Duration:
    """An offset as written in the rules file: a signed amount of minutes, hours or days."""

    amount: int
    unit: str  # "m", "h" or "d"
    delta: timedelta = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Elapsed form computed once: offsets are applied on the per-record hot path.
        seconds = self.amount * UNIT_SECONDS[self.unit]
        object.__setattr__(self, "delta", timedelta(seconds=seconds))

    @property
    def is_days(self) -> bool:
        """Whether the offset counts days (calendar or business) rather than elapsed time."""
        return self.unit == "d"

    def elapsed(self) -> timedelta:
        """The offset as elapsed time (days as 24 h; only for unit m/h)."""
        return self.delta


def parse_duration(text: str) -> Duration:
    """Parse '15m', '2h', '3d' or '-24h'.

    Raises:
        ValueError: the text is not a duration.
    """
    match = DURATION_PATTERN.match(str(text).strip())
    if match is None:
        raise ValueError(f"'{text}' is not a duration (expected e.g. 15m, 2h, 3d, -24h)")
    sign, amount, unit = match.groups()
    return Duration(-int(amount) if sign else int(amount), unit)


def wall_to_utc(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """A local wall time as UTC.

    A time in the autumn fold means its first occurrence; one in the spring gap
    moves forward by the gap (fold=0 reads it with the offset before the change).
    """
    return datetime.combine(day, clock, tzinfo=zone).replace(fold=0).astimezone(UTC)


def add_calendar_days(moment: datetime, days: int, zone: ZoneInfo) -> datetime:
    """Shift by calendar days in `zone`, keeping the wall-clock time."""
    local = moment.astimezone(zone)
    return wall_to_utc(local.date() + timedelta(days=days), local.time(), zone)


class BusinessCalendar:
    """Business hours in the org's zone: open weekdays between opening and closing, not holidays."""

    def __init__(
        self,
        zone: ZoneInfo,
        weekdays: Iterable[int],
        opening: time,
        closing: time,
        holidays: Iterable[date],
    ) -> None:
        self.zone = zone
        self.weekdays = frozenset(weekdays)
        self.opening = opening
        self.closing = closing
        self.holidays = frozenset(holidays)

    def is_business_day(self, day: date) -> bool:
        """Whether `day` is an open weekday and not a holiday."""
        return day.weekday() in self.weekdays and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def _opening_at_or_after(self, moment: datetime) -> datetime:
        """`moment` if inside business hours, else the next business opening (UTC)."""
        local = moment.astimezone(self.zone)
        day = local.date()
        if self.is_business_day(day):
            if local.time() < self.opening:
                return wall_to_utc(day, self.opening, self.zone)
            if local.time() < self.closing:
                return moment
        return wall_to_utc(self.next_business_day(day), self.opening, self.zone)

    def add_business_hours(self, moment: datetime, hours: float) -> datetime:
        """Count `hours` of business time from `moment`, rolling over nights, weekends, holidays."""
        remaining = timedelta(hours=hours)
        current = self._opening_at_or_after(moment)
        while True:
            day = current.astimezone(self.zone).date()
            close = wall_to_utc(day, self.closing, self.zone)
            if current + remaining <= close:
                return current + remaining
            remaining -= close - current
            current = wall_to_utc(self.next_business_day(day), self.opening, self.zone)

    def add_business_days(self, moment: datetime, days: int) -> datetime:
        """Step `days` business days forward, keeping the time of day.

        A moment outside business hours first moves to the next business opening.
        """
        local = self._opening_at_or_after(moment).astimezone(self.zone)
        day = local.date()
        for _ in range(days):
            day = self.next_business_day(day)
        return wall_to_utc(day, local.time().replace(tzinfo=None), self.zone)

    def shift(self, moment: datetime, offset: Duration, clock: str) -> datetime:
        """Apply an offset on the given clock ('calendar' or 'business')."""
        if clock == BUSINESS:
            if offset.unit == "d":
                return self.add_business_days(moment, offset.amount)
            return self.add_business_hours(moment, offset.amount * UNIT_SECONDS[offset.unit] / 3600)
        if offset.unit == "d":
            return add_calendar_days(moment, offset.amount, self.zone)
        return moment + offset.delta


def to_utc(moment: datetime) -> datetime:
    """An aware datetime in UTC.

    Raises:
        ValueError: the datetime has no offset.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetime has no UTC offset")
    return moment.astimezone(UTC)
