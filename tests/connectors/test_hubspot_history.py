"""HubSpot read_history through the real SDK: newest change per property, 50 records a call."""

from __future__ import annotations

from typing import Any

import pytest

from tests.connectors.hubspot_support import admin, bulk, calls, connector


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False)


def _edit(sb: Any, record_id: str, **properties: str) -> None:
    admin(sb, "/hubspot/edit", {"type": "contacts", "id": record_id, "properties": properties})


def test_the_newest_edit_of_each_property_not_the_analytics_touch(sb: Any) -> None:
    first = str(bulk(sb, "contacts", 1, age_seconds=3600, email="a@x.com", jobtitle="Roofer"))
    admin(sb, "/clock", {"advance_seconds": 60})
    _edit(sb, first, jobtitle="Owner")
    edited = sb.hubspot.clock.now()
    admin(sb, "/clock", {"advance_seconds": 60})
    admin(sb, "/hubspot/touch", {"ids": [int(first)]})
    hs = connector(sb)
    times = hs.read_history("contacts", [first, "999999", "not-an-id"], ["jobtitle", "email"])
    assert set(times) == {first}
    (record,) = hs.read_by_ids("contacts", [first], ["jobtitle"])
    assert times[first]["email"] < times[first]["jobtitle"] <= edited < record.modified


def test_120_records_take_three_calls(sb: Any) -> None:
    first = bulk(sb, "contacts", 120, age_seconds=60, email="b{n}@x.com", phone="555")
    hs = connector(sb)
    before = calls(sb, "objects.batch.read")
    times = hs.read_history("contacts", [str(first + n) for n in range(120)], ["phone"])
    assert len(times) == 120
    assert calls(sb, "objects.batch.read") - before == 3
