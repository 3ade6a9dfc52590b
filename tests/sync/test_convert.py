"""Value conversions: native <-> canonical per type, equal canonical values for equal meanings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from sync.convert import CODECS, ConversionError
from sync.picklists import picklist_codec, value_table
from tests.sync.mapping_support import compiled

SF_DT = "2026-03-10T18:00:00.000+0000"
MOMENT = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
EPOCH_MS = int((MOMENT - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1000)


def read(kind: str, side: str, value):
    return CODECS[kind].read[side](value)  # type: ignore[index]


def write(kind: str, side: str, value):
    return CODECS[kind].write[side](value)  # type: ignore[index]


@pytest.mark.parametrize(
    ("side", "native"),
    [
        ("salesforce", SF_DT),
        ("hubspot", "2026-03-10T18:00:00Z"),
        ("hubspot", "2026-03-10T18:00:00.000Z"),
        ("hubspot", EPOCH_MS),
        ("hubspot", str(EPOCH_MS)),
        ("salesforce", "2026-03-10T14:00:00.000-0400"),
    ],
)
def test_datetimes_meaning_the_same_moment_are_equal(side: str, native) -> None:
    value = read("datetime", side, native)
    assert value == MOMENT
    assert value.tzinfo is not None and value.utcoffset() == timedelta(0)


def test_datetime_round_trips_on_both_sides_in_their_own_format() -> None:
    moment = datetime(2026, 3, 10, 18, 0, 5, 123000, tzinfo=UTC)
    assert write("datetime", "salesforce", moment) == "2026-03-10T18:00:05.123+0000"
    assert write("datetime", "hubspot", moment) == "2026-03-10T18:00:05.123Z"
    for side in ("salesforce", "hubspot"):
        assert read("datetime", side, write("datetime", side, moment)) == moment


def test_datetime_is_truncated_to_milliseconds_like_both_apis() -> None:
    assert read("datetime", "hubspot", "2026-03-10T18:00:00.123456Z") == MOMENT.replace(
        microsecond=123000
    )


def test_an_offset_datetime_is_written_as_utc() -> None:
    local = datetime(2026, 3, 10, 14, 0, tzinfo=timezone(timedelta(hours=-4)))
    assert write("datetime", "salesforce", local) == SF_DT


def test_utc_has_no_daylight_saving_gap_across_the_change() -> None:
    before = read("datetime", "salesforce", "2026-03-08T01:30:00.000-0500")
    after = read("datetime", "salesforce", "2026-03-08T03:30:00.000-0400")
    assert after - before == timedelta(hours=1)
    assert (before.hour, after.hour) == (6, 7)


@pytest.mark.parametrize("native", ["2026-03-10T18:00:00", "2026-03-10T18:00:00.000"])
def test_a_naive_datetime_is_refused_on_read(native: str) -> None:
    with pytest.raises(ConversionError, match="no time zone"):
        read("datetime", "hubspot", native)


@pytest.mark.parametrize("side", ["salesforce", "hubspot"])
def test_a_naive_datetime_is_refused_on_write(side: str) -> None:
    with pytest.raises(ConversionError, match="naive"):
        write("datetime", side, datetime(2026, 3, 10, 18, 0))


@pytest.mark.parametrize(
    ("side", "native"),
    [
        ("salesforce", "2026-03-10"),
        ("hubspot", "2026-03-10"),
        ("hubspot", 1773100800000),
        ("hubspot", "1773100800000"),
        ("hubspot", "2026-03-10T00:00:00.000Z"),
    ],
)
def test_dates_read_from_every_form(side: str, native) -> None:
    assert read("date", side, native) == date(2026, 3, 10)


def test_date_round_trips() -> None:
    day = date(2026, 3, 10)
    for side in ("salesforce", "hubspot"):
        assert write("date", side, day) == "2026-03-10"
        assert read("date", side, write("date", side, day)) == day


def test_a_datetime_is_not_written_as_a_date() -> None:
    with pytest.raises(ConversionError):
        write("date", "salesforce", MOMENT)


def test_numbers_as_strings_and_floats_compare_equal() -> None:
    assert read("number", "hubspot", "10") == read("number", "salesforce", 10.0) == 10
    assert read("number", "hubspot", " 10.50 ") == 10.5
    assert write("number", "hubspot", 10.0) == "10"
    assert write("number", "hubspot", 10.5) == "10.5"
    assert write("number", "salesforce", 10.5) == 10.5
    assert read("number", "hubspot", write("number", "hubspot", 1234.25)) == 1234.25


@pytest.mark.parametrize("bad", ["ten", True, "nan", "inf", {"a": 1}])
def test_a_non_number_is_an_error(bad) -> None:
    with pytest.raises(ConversionError):
        read("number", "hubspot", bad)


def test_integers() -> None:
    assert read("integer", "hubspot", "10.0") == 10
    assert isinstance(read("integer", "salesforce", 12.0), int)
    assert write("integer", "hubspot", 12) == "12"
    with pytest.raises(ConversionError, match="whole number"):
        read("integer", "hubspot", "10.5")


def test_a_blank_boolean_is_false_like_a_checkbox() -> None:
    assert read("boolean", "hubspot", "") is False
    assert read("boolean", "hubspot", None) is False


def test_booleans() -> None:
    assert read("boolean", "hubspot", "true") is True
    assert read("boolean", "hubspot", "FALSE") is False
    assert read("boolean", "salesforce", False) is False
    assert write("boolean", "hubspot", True) == "true"
    assert write("boolean", "hubspot", False) == "false"
    assert write("boolean", "salesforce", True) is True
    with pytest.raises(ConversionError):
        read("boolean", "hubspot", "yes")


@pytest.mark.parametrize("kind", ["string", "email", "number", "date", "datetime"])
def test_blanks_read_as_none_and_clear_each_side_its_own_way(kind: str) -> None:
    for blank in (None, "", "   "):
        assert read(kind, "hubspot", blank) is None
    assert write(kind, "hubspot", None) == ""
    assert write(kind, "salesforce", None) is None


def test_text_email_and_domain_normalisation() -> None:
    assert read("string", "salesforce", " Acme ") == "Acme"
    assert read("email", "salesforce", "  Jo.Doe@Example.COM ") == "jo.doe@example.com"
    assert read("domain", "salesforce", "https://www.Acme.com:443/about") == "acme.com"
    assert read("domain", "hubspot", "acme.com") == "acme.com"


def test_picklist_spelling_per_side() -> None:
    company = compiled()
    sf = company.converter("salesforce", "Account")
    hs = company.converter("hubspot", "companies")
    assert hs.to_canonical({"industry": "REAL_ESTATE"})[0]["industry"] == "Real Estate"
    assert sf.to_canonical({"Industry": "Real Estate"})[0]["industry"] == "Real Estate"
    assert hs.to_native({"industry": "Property Management"})[0] == {
        "industry": "PROPERTY_MANAGEMENT"
    }
    assert sf.to_native({"industry": "Property Management"})[0] == {
        "Industry": "Property Management"
    }


def test_an_unmapped_picklist_value_is_a_problem_not_junk() -> None:
    hs = compiled().converter("hubspot", "companies")
    values, problems = hs.to_canonical({"industry": "AEROSPACE", "name": "Acme"})
    assert "industry" not in values and values["name"] == "Acme"
    assert [(p.field, p.value) for p in problems] == [("industry", "AEROSPACE")]
    assert "unmapped hubspot value 'AEROSPACE'" in problems[0].message
    native, problems = hs.to_native({"industry": "Aerospace"})
    assert native == {} and "no hubspot value for 'Aerospace'" in problems[0].message


def test_value_map_overrides_a_native_spelling() -> None:
    table = value_table(
        ["Real Estate", "Other"], {"Other": {"hubspot": "MISC"}}, {"hubspot": "upper_snake"}
    )
    codec = picklist_codec(table, multi=False)
    assert codec.write["hubspot"]("Other") == "MISC"
    assert codec.read["hubspot"]("MISC") == "Other"
    assert codec.write["hubspot"]("Real Estate") == "REAL_ESTATE"


def test_multiselect_order_does_not_matter_and_round_trips() -> None:
    table = value_table(["Roof", "Water Damage", "Mold"], {}, {"hubspot": "upper_snake"})
    codec = picklist_codec(table, multi=True)
    a = codec.read["salesforce"]("Water Damage;Roof")
    b = codec.read["hubspot"]("ROOF;WATER_DAMAGE")
    assert a == b == "Roof;Water Damage"
    assert codec.write["hubspot"](a) == "ROOF;WATER_DAMAGE"
    assert codec.write["salesforce"](a) == "Roof;Water Damage"
    assert codec.read["hubspot"]("") is None
    with pytest.raises(ConversionError):
        codec.read["salesforce"]("Roof;Asbestos")


def _sample(kind: str, name: str):
    samples = {
        "string": "Acme Roofing",
        "email": "pat.lee@example.com",
        "phone": "+1 555 0100",
        "url": "https://acme.example/roofs",
        "domain": "acme.example",
        "number": 1234.5,
        "integer": 42,
        "boolean": True,
        "date": date(2026, 4, 1),
        "datetime": datetime(2026, 3, 10, 18, 0, 1, 250000, tzinfo=UTC),
        "owner": "ana.sales@example.com",
        "reference": "c0ffee",
    }
    picks = {
        "industry": "Real Estate",
        "lead_source": "Repeat Customer",
        "service_type": "New Construction",
    }
    stages = {"person": "appointment_set", "deal": "needs_analysis"}
    if kind == "picklist":
        return picks[name]
    return stages.get(name) if kind == "stage" else samples[kind]


@pytest.mark.parametrize(
    ("pair", "sf_object", "hs_object"),
    [
        ("person", "Lead", "contacts"),
        ("person", "Contact", "contacts"),
        ("company", "Account", "companies"),
        ("deal", "Opportunity", "deals"),
    ],
)
def test_every_mapped_field_round_trips_through_both_sides(
    pair: str, sf_object: str, hs_object: str
) -> None:
    mapping = compiled()
    specs = mapping.mapping.pairs[pair].fields
    checked = set()
    for conv in (
        mapping.converter("salesforce", sf_object),
        mapping.converter("hubspot", hs_object),
    ):
        for io in conv.fields:
            kind = specs[io.name].type
            value = _sample(kind, pair if kind == "stage" else io.name)
            native = io.write(value)
            assert io.read(native) == value, (conv.variant, io.name, native)
            checked.add(kind)
    assert {"string", "datetime", "owner"} <= checked
