"""Time exactly as sop-rules.md defines it: calendar days, elapsed hours, business time."""

from __future__ import annotations

from datetime import UTC, date, time

import pytest

from rules.timing import BusinessCalendar, add_calendar_days, parse_duration
from tests.rules.conftest import NEW_YORK, at


@pytest.fixture
def calendar() -> BusinessCalendar:
    holidays = [date(2026, 7, 3), date(2026, 11, 26), date(2026, 12, 25)]
    return BusinessCalendar(NEW_YORK, range(5), time(8), time(18), holidays)


def test_calendar_days_keep_wall_time_across_dst_start() -> None:
    due = add_calendar_days(at("2026-03-06T15:00:00-05:00"), 3, NEW_YORK)
    assert due == at("2026-03-09T15:00:00-04:00")


def test_calendar_days_keep_wall_time_across_dst_end() -> None:
    due = add_calendar_days(at("2026-10-30T15:00:00-04:00"), 3, NEW_YORK)
    assert due == at("2026-11-02T15:00:00-05:00")


def test_wall_time_in_spring_gap_moves_forward() -> None:
    due = add_calendar_days(at("2026-03-07T02:30:00-05:00"), 1, NEW_YORK)
    assert due == at("2026-03-08T03:30:00-04:00")


def test_wall_time_in_autumn_fold_is_first_occurrence() -> None:
    due = add_calendar_days(at("2026-10-31T01:30:00-04:00"), 1, NEW_YORK)
    assert due == at("2026-11-01T01:30:00-04:00")
    assert due.tzinfo is UTC


def test_hours_are_elapsed_across_dst(calendar: BusinessCalendar) -> None:
    start = at("2026-03-07T22:00:00-05:00").astimezone(UTC)
    assert calendar.shift(start, parse_duration("24h"), "calendar") == at(
        "2026-03-08T23:00:00-04:00"
    )


def test_business_hour_rolls_over_friday_evening(calendar: BusinessCalendar) -> None:
    start = at("2026-03-13T17:30:00-04:00")
    assert calendar.add_business_hours(start, 1) == at("2026-03-16T08:30:00-04:00")


def test_business_hour_from_weekend_starts_at_monday_opening(calendar: BusinessCalendar) -> None:
    start = at("2026-03-07T10:00:00-05:00")
    assert calendar.add_business_hours(start, 1) == at("2026-03-09T09:00:00-04:00")


def test_business_hours_before_opening_and_at_close(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_hours(at("2026-03-10T07:00:00-04:00"), 1) == at(
        "2026-03-10T09:00:00-04:00"
    )
    assert calendar.add_business_hours(at("2026-03-10T18:00:00-04:00"), 0.5) == at(
        "2026-03-11T08:30:00-04:00"
    )
    assert calendar.add_business_hours(at("2026-03-10T17:00:00-04:00"), 1) == at(
        "2026-03-10T18:00:00-04:00"
    )


def test_business_hours_skip_holidays(calendar: BusinessCalendar) -> None:
    start = at("2026-07-02T17:00:00-04:00")  # Thursday; Friday 3 July is a holiday
    assert calendar.add_business_hours(start, 2) == at("2026-07-06T09:00:00-04:00")


def test_business_hours_span_several_days(calendar: BusinessCalendar) -> None:
    start = at("2026-03-10T14:00:00-04:00")
    assert calendar.add_business_hours(start, 24) == at("2026-03-12T18:00:00-04:00")


def test_business_days_from_outside_hours_start_at_next_opening(
    calendar: BusinessCalendar,
) -> None:
    start = at("2026-03-07T10:00:00-05:00")  # Saturday
    assert calendar.add_business_days(start, 5) == at("2026-03-16T08:00:00-04:00")
    evening = at("2026-03-10T19:00:00-04:00")
    assert calendar.add_business_days(evening, 1) == at("2026-03-12T08:00:00-04:00")


def test_business_days_keep_time_of_day_and_skip_holidays(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_days(at("2026-03-10T14:00:00-04:00"), 5) == at(
        "2026-03-17T14:00:00-04:00"
    )
    assert calendar.add_business_days(at("2026-11-25T10:00:00-05:00"), 1) == at(
        "2026-11-27T10:00:00-05:00"
    )
    assert calendar.add_business_days(at("2026-03-13T17:59:00-04:00"), 1) == at(
        "2026-03-16T17:59:00-04:00"
    )


def test_business_days_across_dst_keep_wall_time(calendar: BusinessCalendar) -> None:
    assert calendar.add_business_days(at("2026-10-30T10:00:00-04:00"), 1) == at(
        "2026-11-02T10:00:00-05:00"
    )


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [("15m", 15, "m"), ("2h", 2, "h"), ("3d", 3, "d"), ("-24h", -24, "h")],
)
def test_parse_duration(text: str, amount: int, unit: str) -> None:
    offset = parse_duration(text)
    assert (offset.amount, offset.unit) == (amount, unit)


@pytest.mark.parametrize("text", ["", "15", "2 hours", "1w", "h2", "1.5h"])
def test_parse_duration_refuses_other_text(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
