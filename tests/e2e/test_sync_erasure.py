"""Records leaving a CRM: GDPR erasure, delete and merge are handled as the mapping says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from integrations.base import WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.support import Harness, admin, connectors, hubspot_call

INGRID = "51000000007"  # HubSpot only at first: the first sync creates her Salesforce lead
ROBERT_LEAD, ROBERT = "00Q5e0000000002EAA", "51000000002"
CARLOS_LEAD, CARLOS = "00Q5e0000000009EAA", "51000000009"


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("erasure"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def touch_sf(h: Harness, record_id: str, title: str) -> None:
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": record_id, "fields": {"Title": title}})


def creates(report: Any) -> list[tuple[str, str | None]]:
    return [(c.system, c.source_id) for c in report.plan.creates]


def test_a_gdpr_erased_contact_leaves_a_tombstone_and_is_never_recreated(h: Harness) -> None:
    lead = h.partner("hubspot", INGRID)
    hubspot_call(h.sb, "POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": INGRID})
    touch_sf(h, lead, "Guest Relations")
    first = h.sync()
    assert creates(first) == []
    tombstones = [(t.system, t.record_id, t.reason) for t in h.store.tombstones()]
    assert tombstones == [("hubspot", INGRID, "erased")]
    assert INGRID not in h.store.links_for_ids("hubspot", [INGRID])
    touch_sf(h, lead, "Guest Relations Manager")
    assert creates(h.sync()) == []
    email = "ingrid.sondergaard@osprey-hotels.example.com"
    assert connectors(h.sb)["hubspot"].find_by("contacts", "email", email, ["email"]) == []  # type: ignore[attr-defined]


def test_a_deleted_contact_is_unlinked_and_reported_not_deleted_elsewhere(h: Harness) -> None:
    hubspot_call(h.sb, "DELETE", f"/crm/v3/objects/contacts/{CARLOS}")
    touch_sf(h, CARLOS_LEAD, "Facilities Lead")
    report = h.sync()
    assert creates(report) == []
    reviews = [r for r in h.store.reviews(kind="deleted") if r.record_id == CARLOS]
    assert [r.detail["how"] for r in reviews] == ["deleted"]
    assert h.one("salesforce", "Lead", CARLOS_LEAD, ["Title"])["Title"] == "Facilities Lead"


def test_a_salesforce_merge_moves_the_link_to_the_surviving_lead(h: Harness) -> None:
    sf = connectors(h.sb)["salesforce"]
    fields = {"LastName": "Tables", "Company": "Pelican", "Email": "r.tables@pelican.example.com"}
    winner = sf.create("Lead", [WriteRow(fields)])[0].id
    assert winner is not None
    admin(h.sb, "salesforce", "merge", {"master_id": winner, "loser_ids": [ROBERT_LEAD]})
    report = h.sync()
    assert creates(report) == []
    assert h.partner("hubspot", ROBERT) == winner
    assert ROBERT_LEAD not in h.store.links_for_ids("salesforce", [ROBERT_LEAD])
    email = h.one("hubspot", "contacts", ROBERT, ["email"])["email"]
    assert email == "r.tables@pelican.example.com"
