from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest

from integrations.base import Cursor
from integrations.errors import FatalError
from integrations.soql import UnsafeSoqlValue

from .sf_support import BASE_TIME, calls, connector, later, load_leads, sandbox

QUERY = "query"
MORE = "query.more"


def test_incremental_reads_are_lazy_one_page_per_call(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    load_leads(sb, 4500)
    sf = connector(sb)
    records = sf.changed_since("Lead", None, ["LastName"])
    assert calls(sb) == 0
    next(records)
    assert (calls(sb, QUERY), calls(sb, MORE)) == (1, 0)
    for _ in range(1999):
        next(records)
    assert calls(sb, MORE) == 0
    next(records)
    assert calls(sb, MORE) == 1
    assert sum(1 for _ in records) == 4500 - 2001
    assert calls(sb) == math.ceil(4500 / 2000)


def test_whole_reads_fetch_at_most_one_page_ahead(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    load_leads(sb, 6500)
    sf = connector(sb)
    records = sf.read_all("Lead", ["LastName"])
    assert calls(sb) == 0
    next(records)
    assert calls(sb, QUERY) == 1 and calls(sb, MORE) <= 1  # page 2 may be on its way
    for _ in range(1999):
        next(records)
    assert calls(sb, MORE) <= 1  # never page 3 while page 1 is still being used
    assert sum(1 for _ in records) == 6500 - 2000
    assert calls(sb) == math.ceil(6500 / 2000)


def test_five_thousand_records_sharing_one_modstamp_none_lost_or_doubled(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    before = load_leads(sb, 10, later(-30), first=0)
    shared = load_leads(sb, 5000, BASE_TIME, first=10)
    after = load_leads(sb, 7, later(5), first=5010)
    sf = connector(sb)

    everything = list(sf.changed_since("Lead", None, ["LastName"]))
    ids = [r.id for r in everything]
    assert len(ids) == len(set(ids)) == 5017
    assert set(ids) == set(before) | set(shared) | set(after)
    assert [(r.modified, r.id) for r in everything] == sorted(
        (r.modified, r.id) for r in everything
    )
    assert calls(sb) == math.ceil(5017 / 2000)

    # A cursor in the middle of the shared instant resumes right after it, across pages.
    middle = sorted(shared)[2499]
    sf = connector(sb, overlap=timedelta(0))
    rest = list(sf.changed_since("Lead", Cursor(BASE_TIME, middle), ["LastName"]))
    assert [r.id for r in rest] == sorted(shared)[2500:] + sorted(after)


def test_cursor_drops_what_it_has_seen_and_nothing_else(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    load_leads(sb, 3, later(-0.5), first=0)
    newer = load_leads(sb, 2, later(1), first=3)
    sf = connector(sb, overlap=timedelta(0))
    seen = list(sf.changed_since("Lead", Cursor(BASE_TIME), ["LastName"]))
    assert [r.id for r in seen] == sorted(newer)
    assert seen[0].fields["LastName"] == "Lead 3"
    assert seen[0].modified == later(1)
    assert list(sf.changed_since("Lead", Cursor(later(1), max(newer)), ["LastName"])) == []


def test_expired_query_locator_resumes_after_the_last_pair(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    shared = load_leads(sb, 4100, BASE_TIME)
    sf = connector(sb)
    reader = sf.changed_since("Lead", None, ["LastName"])
    first = [next(reader) for _ in range(2000)]
    sb.salesforce.queries._cursors.clear()  # the locator expires between pages
    ids = [r.id for r in first] + [r.id for r in reader]
    assert ids == sorted(shared)
    assert calls(sb, QUERY) == 2  # the first query, then one resumed after (modstamp, id)


def test_read_by_ids_in_batches_of_200_missing_left_out(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 450)
    sf = connector(sb)
    missing = "00Q000000000000AAA"
    found = sf.read_by_ids("Lead", [*ids, missing, ids[0]], ["LastName", "Company"])
    assert sorted(r.id for r in found) == sorted(ids)
    assert found[0].fields["Company"] == "Acme"
    assert calls(sb, QUERY) == math.ceil(451 / 200)


def test_deletions_with_merges(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    live = load_leads(sb, 2, first=0)
    gone = load_leads(sb, 1, later(1), first=2, IsDeleted=True)
    merged = load_leads(sb, 1, later(2), first=3, IsDeleted=True, MasterRecordId=live[0])
    sf = connector(sb)
    found = list(sf.deletions("Lead", later(0.5)))
    assert [(d.id, d.merged_into) for d in found] == [(gone[0], None), (merged[0], live[0])]
    assert found[0].when == later(1)
    assert [r.id for r in sf.read_all("Lead", ["LastName"])] == sorted(live)
    assert list(sf.deletions("Lead", later(3))) == []


def test_relationship_fields_are_flattened(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    owner = sb.salesforce.org.integration_user_id
    load_leads(sb, 1, OwnerId=owner)
    (record,) = connector(sb).read_all("Lead", ["OwnerId", "Owner.Email"])
    assert record.fields["Owner.Email"] == "integration@crmops.sandbox"
    assert "attributes" not in record.fields


HOSTILE = ("O'Brien' OR Name != '", "back\\slash' OR LastName LIKE '%", 'q"uote\nline\t_%')


def test_hostile_strings_are_just_values(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    load_leads(sb, 5)
    sf = connector(sb)
    for n, name in enumerate(HOSTILE):
        (target,) = load_leads(sb, 1, first=5 + n, LastName=name)
        found = sf.find("Lead", "LastName", [name], ["LastName"])
        assert [(r.id, r.fields["LastName"]) for r in found] == [(target, name)]
    assert sf.find("Lead", "LastName", ["O'Brien"], ["LastName"]) == []
    assert len(list(sf.read_all("Lead", ["LastName"]))) == 5 + len(HOSTILE)


def test_ids_and_names_are_validated_before_any_call(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    sf = connector(sb)
    for bad in ("00Q' OR Id != '", "not-an-id", "00Q5e00000AbCdEAAZX"):
        with pytest.raises(UnsafeSoqlValue):
            sf.read_by_ids("Lead", [bad], ["LastName"])
    with pytest.raises(UnsafeSoqlValue):
        list(sf.read_all("Lead", ["LastName FROM User --"]))
    with pytest.raises(UnsafeSoqlValue):
        list(sf.read_all("Lead WHERE Name != ''", ["LastName"]))
    assert calls(sb) == 0


def test_unknown_field_is_fatal_with_the_orgs_message(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    sf = connector(sb)
    with pytest.raises(FatalError) as caught:
        list(sf.read_all("Lead", ["Bogus__c"]))
    assert caught.value.status == 400
    assert "Bogus__c" in str(caught.value)
    assert calls(sb) == 1


def test_overlap_rereads_a_record_committed_late_behind_the_cursor(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    seen = load_leads(sb, 2, later(10), first=0)  # minutes
    sf = connector(sb, overlap=timedelta(seconds=60))
    cursor = Cursor(later(10), max(seen))
    late = load_leads(sb, 1, later(9.5), first=2)  # committed after a run saw past it
    reread = [r.id for r in sf.changed_since("Lead", cursor, ["LastName"])]
    assert late[0] in reread
    assert sorted(seen) == sorted(i for i in reread if i in seen)
