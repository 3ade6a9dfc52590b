"""What `changed_since` means behind the cursor, per CRM, as `Connector.changed_since` says.

Salesforce re-reads the overlap window (late commits); HubSpot drops everything at or
before the cursor's (time, id), its window ending at now minus the search lag instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from integrations.base import Cursor
from tests.connectors import hubspot_support as hs_support
from tests.connectors import sf_support


def test_salesforce_rereads_the_overlap_window_and_not_before(make_sandbox: Any) -> None:
    sb = sf_support.sandbox(make_sandbox)
    old = sf_support.load_leads(sb, 2, sf_support.later(8), first=0)
    late = sf_support.load_leads(sb, 2, sf_support.later(9.5), first=2)
    at_cursor = sf_support.load_leads(sb, 3, sf_support.later(10), first=4)
    newer = sf_support.load_leads(sb, 1, sf_support.later(11), first=7)
    sf = sf_support.connector(sb)  # the default overlap: 60 s
    assert sf.overlap == timedelta(seconds=60)
    cursor = Cursor(sf_support.later(10), sorted(at_cursor)[1])
    read = [r.id for r in sf.changed_since("Lead", cursor, ["LastName"])]
    # The cursor's own record and its ties come again; the window before it too.
    assert read == sorted(late) + sorted(at_cursor) + newer
    assert not set(old) & set(read)


def test_hubspot_drops_records_at_or_before_the_cursor(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False)
    older = hs_support.bulk(sb, "contacts", 3, age_seconds=120, email="o{n}@example.com")
    tied = hs_support.bulk(sb, "contacts", 4, age_seconds=100, email="t{n}@example.com")
    newer = hs_support.bulk(sb, "contacts", 2, age_seconds=50, email="n{n}@example.com")
    hs = hs_support.connector(sb)
    assert hs.overlap == timedelta(0)
    everything = list(hs.changed_since("contacts", None, ["email"]))
    expected = [*range(older, older + 3), *range(tied, tied + 4), newer, newer + 1]
    assert [int(r.id) for r in everything] == expected
    cursor_record = everything[4]  # the second of the tied instant
    cursor = Cursor(cursor_record.modified, cursor_record.id)
    after = [int(r.id) for r in hs.changed_since("contacts", cursor, ["email"])]
    assert after == [tied + 2, tied + 3, newer, newer + 1]
    # An overlap, when asked for, re-reads the window behind the cursor as Salesforce does.
    wide = hs_support.connector(sb)
    wide.overlap = timedelta(seconds=10)
    reread = [int(r.id) for r in wide.changed_since("contacts", cursor, ["email"])]
    assert reread == [*range(tied, tied + 4), newer, newer + 1]
