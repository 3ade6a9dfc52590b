"""Changed-records reads on companies, deals and tasks: `hs_lastmodifieddate`, not contacts'."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.base import Cursor, WriteRow
from integrations.hubspot_reads import MODIFIED_PROPERTY
from tests.connectors.hubspot_support import FAST_SEARCH, bulk, connector

# object -> a property to write, with its bulk value pattern
OBJECTS = {
    "companies": ("name", "Co {n}"),
    "deals": ("dealname", "Deal {n}"),
    "tasks": ("hs_task_subject", "Call {n}"),
}


@pytest.mark.parametrize("kind", sorted(OBJECTS))
def test_changed_since_reads_each_object_by_its_modified_property(
    make_sandbox: Any, kind: str
) -> None:
    assert MODIFIED_PROPERTY[kind] == "hs_lastmodifieddate"
    prop, pattern = OBJECTS[kind]
    sb = make_sandbox(size=0, rate_limits=False)
    first = bulk(sb, kind, 250, age_seconds=3600, **{prop: pattern})
    hs = connector(sb, search_per_second=FAST_SEARCH)  # about paging, not pacing
    records = list(hs.changed_since(kind, None, [prop]))
    assert [int(r.id) for r in records] == list(range(first, first + 250))
    assert records[7].fields == {prop: pattern.format(n=7)}
    # A later change to one record is all the next run reads.
    cursor = Cursor(records[-1].modified, records[-1].id)
    assert list(hs.changed_since(kind, cursor, [prop])) == []
    (changed,) = hs.update(kind, [WriteRow({prop: "moved"}, id=records[3].id)])
    assert changed.ok
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
    (again,) = hs.changed_since(kind, cursor, [prop])
    assert (again.id, again.fields[prop]) == (records[3].id, "moved")
    assert again.modified > cursor.modified
