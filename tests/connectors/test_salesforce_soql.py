from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from integrations import soql
from integrations.soql import UnsafeSoqlValue


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("O'Brien", r"'O\'Brien'"),
        ("O'Brien' OR Name != '", r"'O\'Brien\' OR Name != \''"),
        ("back\\slash", r"'back\\slash'"),
        ('say "hi"', r"'say \"hi\"'"),
        ("two\nlines\r\ttab", r"'two\nlines\r\ttab'"),
        ("Zoë Ñúñez", "'Zoë Ñúñez'"),
    ],
)
def test_quote_escapes_per_salesforce_rules(value: str, quoted: str) -> None:
    assert soql.quote(value) == quoted


def test_like_patterns_escape_wildcards() -> None:
    assert soql.quote_like("50%_off's") == r"'50\%\_off\'s'"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "NULL"),
        (True, "TRUE"),
        (False, "FALSE"),
        (42, "42"),
        (1.5, "1.5"),
        (date(2026, 3, 10), "2026-03-10"),
        (datetime(2026, 3, 10, 18, 0, 0, 123456, tzinfo=UTC), "2026-03-10T18:00:00.123Z"),
        (
            datetime(2026, 3, 10, 12, 0, tzinfo=timezone(timedelta(hours=-6))),
            "2026-03-10T18:00:00.000Z",
        ),
    ],
)
def test_literals(value: object, text: str) -> None:
    assert soql.literal(value) == text


@pytest.mark.parametrize("value", [math.nan, math.inf, datetime(2026, 3, 10), object()])
def test_unsafe_literals_are_refused(value: object) -> None:
    with pytest.raises(UnsafeSoqlValue):
        soql.literal(value)


@pytest.mark.parametrize("good", ["00Q5e00000AbCdE", "00Q5e00000AbCdEAAZ"])
def test_ids_of_15_or_18_characters_pass(good: str) -> None:
    assert soql.record_id(good) == f"'{good}'"


@pytest.mark.parametrize(
    "bad", ["", "00Q5e00000AbCd", "00Q5e00000AbCdEAA", "00Q5e00000AbCd'", "x" * 19]
)
def test_bad_ids_are_refused(bad: str) -> None:
    with pytest.raises(UnsafeSoqlValue):
        soql.record_id(bad)


def test_select_validates_every_name() -> None:
    text = soql.select(
        "Lead", ["Id", "Owner.Email", "Id"], "IsDeleted = FALSE", ["SystemModstamp", "Id DESC"], 5
    )
    assert text == (
        "SELECT Id, Owner.Email FROM Lead WHERE IsDeleted = FALSE "
        "ORDER BY SystemModstamp, Id DESC LIMIT 5"
    )
    for bad_field in ("Name, (SELECT Id FROM Contacts)", "1Name", "Name--", "a.b.c"):
        with pytest.raises(UnsafeSoqlValue):
            soql.select("Lead", [bad_field])
    with pytest.raises(UnsafeSoqlValue):
        soql.select("Lead; DELETE", ["Id"])
    with pytest.raises(UnsafeSoqlValue):
        soql.select("Lead", ["Id"], order_by=["Id; DROP"])


def test_after_pair_is_the_keyset_condition() -> None:
    moment = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
    assert soql.after_pair("SystemModstamp", moment, "00Q5e00000AbCdEAAZ") == (
        "(SystemModstamp > 2026-03-10T18:00:00.000Z OR "
        "(SystemModstamp = 2026-03-10T18:00:00.000Z AND Id > '00Q5e00000AbCdEAAZ'))"
    )
