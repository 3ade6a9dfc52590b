"""Components of spooled records: who may be joined, and how they pack into shards."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sync.candidates import Candidate
from sync.mapping import Side
from sync.shard_components import LINK_BATCH, Components, Member
from sync.store import StateStore
from sync.store_types import Link


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(f"sqlite:///{tmp_path / 'state.db'}") as opened:
        yield opened


def person(system: Side, record_id: str, **fields: Any) -> Candidate:
    return Candidate(system=system, object="person", id=record_id, **fields)


def linked(store: StateStore, lead: str, contact: str) -> None:
    """A link in the store between a Salesforce lead and a HubSpot contact."""
    stable = store.new_entities("person", 1)[0]
    store.add_links(
        [Link(stable, "salesforce", "Lead", lead), Link(stable, "hubspot", "contacts", contact)]
    )


def shards_of(components: Components, records: list[Candidate], limit: int) -> list[list[str]]:
    """Add `records` (spool start = their place in the list); shards as record ids."""
    for place, record in enumerate(records):
        components.add(record, place, 1)
    by_start = {place: r.id for place, r in enumerate(records)}
    return [[by_start[m.start] for m in shard] for shard in components.shards(limit)]


def test_records_sharing_a_key_land_in_one_shard_even_through_a_chain(store: StateStore) -> None:
    records = [
        person("salesforce", "a", email="x@one.example"),
        person("salesforce", "lone", email="lone@else.example"),
        person("hubspot", "b", email="x@one.example", other_id="c"),  # names Salesforce c
        person("salesforce", "c", email="y@two.example"),
        person("hubspot", "d", email="y@two.example"),
    ]
    components = Components(store)
    shards = shards_of(components, records, limit=2)
    components.close()
    # a-b by email, b-c by the stored id, c-d by email: one component of four, over the
    # limit, so a shard of its own; the lone record goes with nothing.
    assert sorted(map(sorted, shards)) == [["a", "b", "c", "d"], ["lone"]]


def test_components_pack_up_to_the_limit_in_the_order_of_their_first_record(
    store: StateStore,
) -> None:
    # HubSpot's records arrive first here (the reads interleave); Salesforce's come first
    # in the packing all the same, so it does not depend on timing.
    records = [
        person("hubspot", "h1", email="one@x.example"),
        person("hubspot", "h2", email="two@x.example"),
        person("salesforce", "s1", email="one@x.example"),
        person("salesforce", "s2", email="two@x.example"),
        person("salesforce", "s3", email="three@x.example"),
    ]
    components = Components(store)
    shards = shards_of(components, records, limit=4)
    components.close()
    # Each shard lists its records in spool order (the order they were added).
    assert shards == [["h1", "h2", "s1", "s2"], ["s3"]]


def test_links_in_the_store_join_records_that_share_nothing_else(store: StateStore) -> None:
    linked(store, "s1", "h1")
    records = [
        person("salesforce", "s1", email="old@x.example"),
        person("salesforce", "s2", email="other@x.example"),
        person("hubspot", "h1", email="new@x.example"),
    ]
    components = Components(store)
    shards = shards_of(components, records, limit=1)
    components.close()
    assert sorted(map(sorted, shards)) == [["h1", "s1"], ["s2"]]


def test_a_merge_joins_the_winner_to_the_losers_link_and_is_no_member(store: StateStore) -> None:
    linked(store, "loser", "h1")
    records = [
        person("salesforce", "winner", email="w@x.example"),
        person("hubspot", "h1", email="h@x.example"),
    ]
    components = Components(store)
    for place, record in enumerate(records):
        components.add(record, place, 1)
    components.merged("salesforce", "loser", "winner")
    shards = list(components.shards(limit=1))
    components.close()
    assert shards == [[Member("salesforce", 0, 1), Member("hubspot", 1, 1)]]


def test_company_names_join_only_records_without_an_email(store: StateStore) -> None:
    records = [
        Candidate(system="salesforce", object="Account", id="acc", name="Acme, Inc."),
        Candidate(system="hubspot", object="companies", id="co", name="ACME Inc"),
        person("salesforce", "p1", name="Acme Inc", email="p1@x.example"),
        person("hubspot", "p2", name="Acme Inc", email="p2@x.example"),
    ]
    components = Components(store)
    shards = shards_of(components, records, limit=1)
    components.close()
    assert sorted(map(sorted, shards)) == [["acc", "co"], ["p1"], ["p2"]]


def test_more_records_than_one_link_batch_are_all_placed(store: StateStore) -> None:
    count = LINK_BATCH * 2 + 7
    records = [person("salesforce", f"s{i}", email=f"{i}@x.example") for i in range(count)]
    records += [person("hubspot", f"h{i}", email=f"{i}@x.example") for i in range(count)]
    components = Components(store)
    shards = shards_of(components, records, limit=1_000)
    components.close()
    assert sum(len(s) for s in shards) == 2 * count
    assert all(len(s) <= 1_000 for s in shards)
    where = {record: number for number, shard in enumerate(shards) for record in shard}
    assert all(where[f"s{i}"] == where[f"h{i}"] for i in range(count))


def test_unpartnered_look_alikes_share_a_shard_and_partnered_records_do_not_chain(
    store: StateStore,
) -> None:
    records = [
        person("salesforce", "jon", name="Jon Smithers", company="Osprey", email="a@x.example"),
        person("salesforce", "ann", name="Ann Smith", email="ann@x.example"),
        person("hubspot", "ann-h", name="Ann Smyth", email="ann@x.example"),  # Ann's partner
        person("salesforce", "al", name="Al Smythe", email="al@x.example"),
        person("hubspot", "al-h", name="Ann Smithson", email="al@x.example"),  # Al's partner
        person("hubspot", "john", name="John Smithers", company="Osprey", email="b@y.example"),
    ]
    components = Components(store, fuzzy=True)
    shards = shards_of(components, records, limit=1)
    components.close()
    # Jon and John have no partner: one block ("j sm"), one shard. Ann and Al each have
    # theirs; Ann Smyth and Ann Smithson share block "a sm", which must not chain them.
    assert sorted(map(sorted, shards)) == [["al", "al-h"], ["ann", "ann-h"], ["john", "jon"]]


def test_without_look_alikes_unpartnered_records_stay_apart(store: StateStore) -> None:
    records = [
        person("salesforce", "jon", name="Jon Smithers", email="a@x.example"),
        person("hubspot", "john", name="John Smithers", email="b@y.example"),
    ]
    components = Components(store)  # a pair whose identity lists no look-alikes (deals)
    assert sorted(map(sorted, shards_of(components, records, limit=1))) == [["john"], ["jon"]]
    components.close()
