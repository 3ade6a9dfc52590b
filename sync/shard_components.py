"""Which spooled records identity matching could ever join, with memory that does not grow.

Public API: `Components` (add, merged, shards, close), `Member`.

A large reconcile spools every record (`sync.shard_spool`) and must cut the records into
shards that identity never needs to join. Everything per record that this needs (its
place in the spool, and the keys that may join it to others: ids it names, email,
domain, company name, the stable id of any link the state store holds for it) goes to
a temporary SQLite file. SQLite groups records by key; only groups of two or more
records come back, and a union-find over an array of record numbers (8 bytes a record)
joins them. So a million records per side cost a few dozen megabytes here, where
candidates and a union-find over their keys held in dicts took about 1.2 KB a record.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter

from sync.candidates import Candidate, looked_up
from sync.fuzzy import block_of, name_key
from sync.mapping import SIDES, Side
from sync.store import StateStore

LINK_BATCH = 2_000  # records whose links are looked up in one store query
RANK_STRIDE = 1 << 40  # rank = system's place * stride + arrival: system order, then arrival


@dataclass(frozen=True, slots=True)
class Member:
    """A spooled record of a shard: its system and where the spool holds it."""

    system: Side
    start: int
    length: int


class Components:
    """Records, the keys that may join them, and the shards their components pack into."""

    def __init__(self, store: StateStore, fuzzy: bool = False) -> None:
        """`fuzzy`: identity lists look-alikes in this pair (persons, companies)."""
        self.store = store
        self.fuzzy = fuzzy
        self.db = sqlite3.connect("")  # a private temporary file, removed when closed
        self.db.executescript(
            """
            CREATE TABLE member (
                n INTEGER PRIMARY KEY, rank INTEGER NOT NULL, system INTEGER NOT NULL,
                start INTEGER NOT NULL, length INTEGER NOT NULL
            );
            CREATE TABLE edge (key TEXT NOT NULL, n INTEGER NOT NULL);
            CREATE TABLE component (n INTEGER PRIMARY KEY, root INTEGER NOT NULL);
            CREATE TABLE block (key TEXT NOT NULL, n INTEGER NOT NULL);
            """
        )
        self.ranks = array("q")  # per record number (merge nodes included): packing order
        self.pending: list[tuple[int, Sequence[tuple[Side, str]]]] = []  # ids to look up
        self.members: list[tuple[int, int, int, int, int]] = []
        self.edges: list[tuple[str, int]] = []
        self.blocks: list[tuple[str, int]] = []

    def add(self, candidate: Candidate, start: int, length: int) -> None:
        """A spooled record (its identity `candidate`, at `start`, `length` in the spool)."""
        place = 0 if candidate.system == SIDES[0] else 1
        n = self._number(place)
        self.members.append((n, self.ranks[n], place, start, length))
        ids = looked_up(candidate)
        self.edges += [(key, n) for key in _keys(candidate, ids)]
        block = block_of(candidate) if self.fuzzy else None
        if block is not None:
            self.blocks.append((block, n))
        self.pending.append((n, ids))
        if len(self.pending) >= LINK_BATCH:
            self._flush()

    def merged(self, system: Side, loser: str, winner: str) -> None:
        """`loser` was merged into `winner` (no longer read, and the winner does not name it)."""
        n = self._number(len(SIDES))  # ranked after every record: never a component's root
        self.edges += [(_text((system, loser)), n), (_text((system, winner)), n)]
        self.pending.append((n, ((system, loser),)))

    def shards(self, limit: int) -> Iterator[list[Member]]:
        """Components packed into shards of about `limit` records, each in spool order.

        Components come in the order of their first record (Salesforce's records first,
        then HubSpot's, each in the order read), so the packing does not depend on how
        the two reads interleaved. A component larger than `limit` is a shard of its own.
        """
        self._flush()
        self._set_roots()
        rows = self.db.execute(
            """
            SELECT c.root, m.system, m.start, m.length FROM member AS m
            JOIN component AS c USING (n) ORDER BY c.root, m.rank
            """
        )
        shard: list[Member] = []
        for _, rows_of_one in groupby(rows, key=itemgetter(0)):
            group = [Member(SIDES[place], start, length) for _, place, start, length in rows_of_one]
            if shard and len(shard) + len(group) > limit:
                yield _in_spool_order(shard)
                shard = []
            shard += group
        if shard:
            yield _in_spool_order(shard)

    def close(self) -> None:
        """Remove the temporary file."""
        self.db.close()

    def _number(self, place: int) -> int:
        """The next record number; its rank: the system's place, then arrival."""
        n = len(self.ranks)
        self.ranks.append(place * RANK_STRIDE + n)
        return n

    def _flush(self) -> None:
        """Write pending members and edges, with the stable ids of the links their ids have."""
        by_system: dict[Side, set[str]] = {system: set() for system in SIDES}
        for _, ids in self.pending:
            for system, record_id in ids:
                by_system[system].add(record_id)
        links = {
            system: self.store.links_for_ids(system, sorted(ids)) if ids else {}
            for system, ids in by_system.items()
        }
        for n, ids in self.pending:
            for system, record_id in ids:
                link = links[system].get(record_id)
                if link is not None:
                    self.edges.append((_text(("stable", link.stable_id)), n))
        with self.db:
            self.db.executemany("INSERT INTO member VALUES (?, ?, ?, ?, ?)", self.members)
            self.db.executemany("INSERT INTO edge VALUES (?, ?)", self.edges)
            self.db.executemany("INSERT INTO block VALUES (?, ?)", self.blocks)
        self.pending, self.members, self.edges, self.blocks = [], [], [], []

    def _set_roots(self) -> None:
        """Union-find over record numbers, joined through every key two or more share.

        Then look-alikes: identity compares the names of records left without a partner
        (`sync.fuzzy`, within blocks of similar names), so records of one system only,
        so far, join the others of their name block. Records already joined to the other
        side are matched, not compared, and stay out: otherwise one spelling variant
        after another would chain blocks into one component of most of the org.

        A component's root is its lowest-ranked record, so its rank orders the components.
        """
        ranks = self.ranks
        parent = array("q", range(len(ranks)))

        def root(n: int) -> int:
            while parent[n] != n:
                parent[n] = parent[parent[n]]
                n = parent[n]
            return n

        def join(numbers: list[int]) -> None:
            top = root(numbers[0])
            for n in numbers[1:]:
                other = root(n)
                if ranks[other] < ranks[top]:
                    parent[top], top = other, other
                elif other != top:
                    parent[other] = top

        shared = "SELECT group_concat(n) FROM {} GROUP BY key HAVING count(*) > 1"
        for (numbers,) in self.db.execute(shared.format("edge")):
            join([int(n) for n in numbers.split(",")])
        if self.fuzzy:
            sides = bytearray(len(ranks))  # per root: 1 Salesforce, 2 HubSpot, 3 both
            for n, rank in enumerate(ranks):
                place = rank // RANK_STRIDE
                if place < len(SIDES):
                    sides[root(n)] |= 1 << place
            alone = bytes(sides[root(n)] != 3 for n in range(len(ranks)))
            for (numbers,) in self.db.execute(shared.format("block")):
                lonely = [int(n) for n in numbers.split(",") if alone[int(n)]]
                if len(lonely) > 1:
                    join(lonely)
        with self.db:
            self.db.executemany(
                "INSERT INTO component VALUES (?, ?)",
                ((n, ranks[root(n)]) for n in range(len(ranks))),
            )


def _in_spool_order(shard: list[Member]) -> list[Member]:
    return sorted(shard, key=lambda m: m.start)


def _text(node: tuple[str, str]) -> str:
    return f"{node[0]}\x1f{node[1]}"


def _keys(c: Candidate, ids: Sequence[tuple[Side, str]]) -> list[str]:
    """What may join this record to another: its ids, email, domain, company name.

    `ids`: itself and the ids it names, as `looked_up` gives them.
    """
    keys = [_text(node) for node in ids]
    if c.email:
        keys.append(f"email\x1f{c.email}")
    if c.domain:
        keys.append(f"domain\x1f{c.domain}")
    if c.name and not c.email:  # companies: the name is a matching key (persons: fuzzy only)
        keys.append(f"name\x1f{name_key(c.name, company=True)}")
    return keys
