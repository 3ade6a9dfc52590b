"""Records that become other records after a sync: a converted lead, a HubSpot merge."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.base import WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.support import Harness, admin, connectors, hubspot_call

OBRIEN_LEAD, OBRIEN = "00Q5e0000000001EAA", "51000000001"
ROBERT = "51000000002"


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("moves"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def test_a_lead_converted_after_a_sync_moves_its_link_to_the_contact(h: Harness) -> None:
    stable = h.store.links_for_ids("hubspot", [OBRIEN], ["contacts"])[OBRIEN].stable_id
    admin(h.sb, "salesforce", "convert_lead", {"lead_id": OBRIEN_LEAD})
    contact = str(
        h.one("salesforce", "Lead", OBRIEN_LEAD, ["ConvertedContactId"])["ConvertedContactId"]
    )
    report = h.sync()
    assert [c for c in report.plan.creates if c.object == "contacts"] == []
    assert h.partner("hubspot", OBRIEN) == contact
    moved = h.store.links_for_ids("salesforce", [contact])[contact]
    assert (moved.object, moved.stable_id) == ("Contact", stable)
    assert OBRIEN_LEAD not in h.store.links_for_ids("salesforce", [OBRIEN_LEAD])


def test_a_hubspot_merge_moves_the_link_to_the_winner(h: Harness) -> None:
    lead = h.partner("hubspot", ROBERT)
    hubspot = connectors(h.sb)["hubspot"]
    winner = hubspot.create("contacts", [WriteRow({"email": "robert.winner@example.org"})])[0]
    assert winner.ok and winner.id
    body = {"primaryObjectId": winner.id, "objectIdToMerge": ROBERT}
    hubspot_call(h.sb, "POST", "/crm/v3/objects/contacts/merge", body)
    report = h.sync()
    assert [c for c in report.plan.creates if c.source_id in (winner.id, lead)] == []
    assert h.partner("hubspot", winner.id) == lead
    assert ROBERT not in h.store.links_for_ids("hubspot", [ROBERT], ["contacts"])
