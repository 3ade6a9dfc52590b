"""HubSpot association reads (v4 batch read) and default associations through the connector."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.base import WriteRow
from integrations.provisioning import HUBSPOT_PROPERTIES
from tests.connectors.hubspot_support import calls, connector


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=0, rate_limits=False, search_lag_seconds=0)


@pytest.fixture
def hs(sb: Any) -> Any:
    made = connector(sb)
    made.provision(HUBSPOT_PROPERTIES, dry_run=False)
    return made


def test_associations_are_read_100_ids_a_call_and_written_by_default_type(sb: Any, hs: Any) -> None:
    people = hs.create("contacts", [WriteRow({"email": f"a{i}@x.org"}) for i in range(150)])
    firms = hs.create("companies", [WriteRow({"name": f"Firm {i}"}) for i in range(2)])
    pairs = [(p.id, firms[i % 2].id) for i, p in enumerate(people[:120])]
    pairs.append((people[0].id, firms[1].id))  # one contact with two companies
    assert all(r.ok for r in hs.associate("contacts", "companies", pairs))
    before = calls(sb, "associations.batch.read")
    found = hs.read_associations("contacts", "companies", [p.id for p in people] + ["x1"])
    assert calls(sb, "associations.batch.read") - before == 2  # 150 ids
    assert sorted(found[people[0].id]) == sorted([firms[0].id, firms[1].id])
    assert found[people[1].id] == [firms[1].id]
    assert people[140].id not in found and "x1" not in found  # none, or not an id
    back = hs.read_associations("companies", "contacts", [f.id for f in firms])
    assert [len(back[f.id]) for f in firms] == [60, 61]
    hs.dissociate(
        "contacts", "companies", [(people[0].id, firms[1].id), (people[2].id, firms[0].id)]
    )
    hs.dissociate("contacts", "companies", [(people[0].id, firms[1].id)])  # gone already: no-op
    after = hs.read_associations("contacts", "companies", [people[0].id, people[2].id])
    assert after == {people[0].id: [firms[0].id]}
