"""Planning an incremental read: records an open review item holds are neither linked nor copied."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from integrations.base import Record
from sync.gather import PairRead, Seen
from sync.plan import new_plan
from sync.planner import PairPlanner
from sync.store import StateStore
from sync.store_reviews import NewReview
from tests.sync.mapping_support import compiled

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
EMAIL = "jose.nunez@cypress-pm.example.com"


def read_of_one_lead_and_its_contact() -> PairRead:
    """An incremental read that met one of two Salesforce leads sharing an email."""
    mapping = compiled()
    read = PairRead("person")
    for system, variant, record_id, fields in (
        ("salesforce", "Lead", "00Q000000000004AAA", {"Email": EMAIL, "LastName": "Núñez"}),
        ("hubspot", "contacts", "51000000004", {"email": EMAIL, "lastname": "Núñez"}),
    ):
        conv = mapping.converter(system, variant)  # type: ignore[arg-type]
        values, _ = conv.to_canonical(fields)
        read.seen[system][record_id] = Seen(conv, Record(variant, record_id, NOW, fields), values)  # type: ignore[index]
    return read


def plan_with(store: StateStore, full: bool) -> PairPlanner:
    planner = PairPlanner(compiled(), store, read_of_one_lead_and_its_contact(), new_plan(NOW))
    planner.run([], [], full)
    return planner


def test_an_open_duplicate_item_holds_its_records(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    records = [["salesforce", "00Q000000000004AAA"], ["salesforce", "00Q000000000099AAA"]]
    item = NewReview("duplicate", "salesforce", "Lead", records[0][1], {"records": records})
    store.add_reviews([item])
    planner = plan_with(store, full=False)
    assert planner.plan.links == [] and planner.plan.creates == []
    assert [c.source_id for c in plan_with(store, full=True).plan.creates] == []


def test_without_a_review_item_the_email_links_them(tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    planner = plan_with(store, full=False)
    assert [(x.salesforce_id, x.hubspot_id, x.how) for x in planner.plan.links] == [
        ("00Q000000000004AAA", "51000000004", "email")
    ]
