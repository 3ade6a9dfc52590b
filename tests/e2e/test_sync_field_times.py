"""A two_way field changed on both sides goes to the side that edited the field last.

HubSpot's analytics move a contact's modified time all day, and Salesforce's moves on
any field's edit; the sync asks each CRM's field history when the field itself
changed (HubSpot property history, Salesforce LeadHistory), only for such conflicts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from integrations.hubspot import HubSpotConnector
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.support import Harness, admin

OBRIEN_LEAD, OBRIEN_CONTACT = "00Q5e0000000001EAA", "51000000001"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """One synced sandbox for the module; each test leaves both sides in sync."""
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("field_times"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str], list[str]]]:
    """Every HubSpot read_history call of the test: (object, ids, properties)."""
    calls: list[tuple[str, list[str], list[str]]] = []
    original = HubSpotConnector.read_history

    def spy(self: Any, object: str, ids: Sequence[str], properties: Sequence[str]) -> Any:
        calls.append((object, list(ids), list(properties)))
        return original(self, object, ids, properties)

    monkeypatch.setattr(HubSpotConnector, "read_history", spy)
    return calls


def edit_sf(h: Harness, **fields: Any) -> None:
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": OBRIEN_LEAD, "fields": fields})


def edit_hs(h: Harness, **properties: Any) -> None:
    body = {"type": "contacts", "id": OBRIEN_CONTACT, "properties": properties}
    admin(h.sb, "hubspot", "hubspot/edit", body)


def touch_hs(h: Harness) -> None:
    admin(h.sb, "hubspot", "hubspot/touch", {"ids": [int(OBRIEN_CONTACT)]})


def phones(h: Harness) -> tuple[Any, Any]:
    sf = h.one("salesforce", "Lead", OBRIEN_LEAD, ["Phone"])["Phone"]
    hs = h.one("hubspot", "contacts", OBRIEN_CONTACT, ["phone"])["phone"]
    return sf, hs


def test_salesforce_edit_newer_than_hubspots_wins_despite_analytics(
    shared: Harness, asked: list[Any]
) -> None:
    h = shared
    edit_hs(h, phone="+1 305 555 0101")
    edit_sf(h, Phone="+1 305 555 0102")
    touch_hs(h)  # the contact's modified time is now newer than either edit
    (contact,) = h.read("hubspot", "contacts", [OBRIEN_CONTACT], ["phone"])
    (lead,) = h.read("salesforce", "Lead", [OBRIEN_LEAD], ["Phone"])
    assert contact.modified is not None and lead.modified is not None
    assert contact.modified > lead.modified
    report = h.sync()
    assert report.exit_code == 0
    assert phones(h) == ("+1 305 555 0102", "+1 305 555 0102")
    assert asked == [("contacts", [OBRIEN_CONTACT], ["phone"])]


def test_hubspot_edit_really_newer_wins(shared: Harness, asked: list[Any]) -> None:
    h = shared
    edit_sf(h, Phone="+1 305 555 0201")
    edit_hs(h, phone="+1 305 555 0202")
    touch_hs(h)
    # An unsynced field edited later moves the lead's modified time past HubSpot's edit:
    # Salesforce's field history still says Phone changed before it.
    edit_sf(h, Rating="Hot")
    assert h.sync().exit_code == 0
    assert phones(h) == ("+1 305 555 0202", "+1 305 555 0202")
    assert [ids for _, ids, _ in asked] == [[OBRIEN_CONTACT]]


def test_no_history_is_read_without_a_conflict(shared: Harness, asked: list[Any]) -> None:
    h = shared
    edit_hs(h, phone="+1 305 555 0301")
    touch_hs(h)
    assert h.sync().exit_code == 0
    assert phones(h) == ("+1 305 555 0301", "+1 305 555 0301")
    assert asked == []
