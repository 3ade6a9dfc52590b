"""Whole reads of one pair cut into shards, so a large reconcile never holds both sides at once.

Public API: `read_shards(job, pair, limit) -> Iterator[Gatherer]`, `SHARD_RECORDS`,
`read_whole(job, pair)`, `identity_fields(conv, native, also)`.

A pair of up to `limit` records (both sides together) comes back as one shard, held in
memory as the sync holds it. Above that, every record is converted once, spooled to a
temporary file (only its identity fields and canonical values), and what may join it
to others goes to a temporary SQLite file (`sync.shard_components`). Records that
identity matching could ever join are put in one component (through the state store's
links, stored ids, conversions and merges, emails, domains and company names), and
components are packed into shards of about `limit` records, each read back as its own
`Gatherer`. Records still without a partner on the other side also join the others
of their look-alike name block, so a look-alike pair (listed for review, and neither
record created) lands in one shard. Matching, diff and plan per shard therefore decide
what one pass over everything would, but for one corner: a record that shares a key
with the other side, yet is neither matched nor held for review through it (records
matching refuses on a shared key go to review), is compared only with the look-alikes
of its own shard.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import partial
from typing import Any, TypeVar

from integrations.base import Record
from integrations.streams import chunked, merged
from sync.candidates import Candidate, candidate_of, candidate_row
from sync.compiled import ObjectConverter
from sync.gather import Gatherer, Seen, native_fields, variants
from sync.job import Job
from sync.mapping import SIDES, Side
from sync.references import reference_fields
from sync.shard_components import Components
from sync.shard_spool import Spool, packed, unpacked

FUZZY_PAIRS = ("person", "company")  # pairs whose identity lists look-alikes (sync.identity)
SHARD_RECORDS = 10_000  # records of one pair (both sides) planned together at most
CHUNK_RECORDS = 200  # records a reading thread hands over at once
CHUNKS_AHEAD = 10  # chunks buffered per system ahead of the conversion
T = TypeVar("T")


def read_whole(job: Job, pair: str) -> Iterator[tuple[Side, ObjectConverter, Record]]:
    """Every live record of a pair on both sides, through the list endpoints (`read_all`).

    Each API object is read once with the native fields of all its variants (Person
    Accounts and Contacts share nothing, but Person and business Accounts do), and each
    record comes with the variant it belongs to. No cursor is read or moved. Both
    systems are read at once (each in its own thread, a few chunks ahead), so one
    CRM's pacing overlaps the other's reads and the conversion; each system's records
    keep their order.
    """
    yield from _side_by_side([partial(_read_side, job, pair, system) for system in SIDES])


def _read_side(job: Job, pair: str, system: Side) -> Iterator[tuple[Side, ObjectConverter, Record]]:
    by_object: dict[str, list[ObjectConverter]] = {}
    for variant in variants(job.compiled, pair, system):
        by_object.setdefault(variant.api_object, []).append(variant)
    for api_object, convs in by_object.items():
        fields = list(dict.fromkeys(f for c in convs for f in native_fields(c)))
        for record in job.connectors[system].read_all(api_object, fields):
            conv = next((c for c in convs if not c.when or c.selects(record.fields)), None)
            if conv is not None:
                yield system, conv, record


def _side_by_side(streams: list[Callable[[], Iterator[T]]]) -> Iterator[T]:
    """Items of every stream, each stream run in its own thread, in chunks as they come.

    A stream's error is raised here; when the consumer stops early, the threads stop
    at their next chunk.
    """
    for chunk in merged([partial(_in_chunks, s) for s in streams], CHUNKS_AHEAD):
        yield from chunk


def _in_chunks(stream: Callable[[], Iterator[T]]) -> Iterator[list[T]]:
    return chunked(stream(), CHUNK_RECORDS)


def identity_fields(
    conv: ObjectConverter, native: dict[str, Any], also: Collection[str] = ()
) -> dict[str, Any]:
    """The native fields still needed once a record is converted: identity and variant tests.

    `also`: more native fields to keep (the references planned as associations).
    """
    keep = (*conv.identity.values(), *conv.when, *conv.read_only_when, *also)
    return {name: native[name] for name in keep if name in native}


def _references(job: Job, pair: str) -> dict[str, tuple[str, ...]]:
    """Salesforce variant -> its reference natives (AccountId), read again by `sync.references`."""
    found: dict[str, tuple[str, ...]] = {}
    for ref in reference_fields(job, pair):
        found[ref.salesforce_variant] = (
            *found.get(ref.salesforce_variant, ()),
            ref.salesforce_field,
        )
    return found


def _gatherer(job: Job, pair: str, sweeps: dict[Any, Any] | None = None) -> Gatherer:
    gatherer = Gatherer(job.compiled, job.connectors, job.store, pair, sweeps)
    gatherer.result.whole.update(SIDES)
    return gatherer


def read_shards(job: Job, pair: str, limit: int = SHARD_RECORDS) -> Iterator[Gatherer]:
    """The pair read whole, as one or more shards that identity never needs to join."""
    gatherer = _gatherer(job, pair)
    records = read_whole(job, pair)
    refs = _references(job, pair)
    for system, conv, record in records:
        seen = gatherer.seen(conv, record)
        also = refs.get(conv.variant, ()) if system == "salesforce" else ()
        record.fields = identity_fields(conv, record.fields, also)  # the rest is converted
        gatherer.result.seen[system][record.id] = seen
        if sum(len(s) for s in gatherer.result.seen.values()) > limit:
            yield from _spooled(job, pair, gatherer, records, limit, refs)
            return
    yield gatherer


def _spooled(
    job: Job,
    pair: str,
    first: Gatherer,
    rest: Iterable[tuple[Side, ObjectConverter, Record]],
    limit: int,
    refs: dict[str, tuple[str, ...]],
) -> Iterator[Gatherer]:
    with tempfile.TemporaryFile() as file:
        spool = Spool(file)
        components = Components(job.store, fuzzy=pair in FUZZY_PAIRS)
        try:
            problems = first.result.problems
            for system in SIDES:
                for seen in first.result.seen[system].values():
                    _spool(spool, components, seen)
                first.result.seen[system] = {}  # spooled: let them go
            converter = _gatherer(job, pair)
            for system, conv, record in rest:
                seen = converter.seen(conv, record)
                also = refs.get(conv.variant, ()) if system == "salesforce" else ()
                record.fields = identity_fields(conv, record.fields, also)
                _spool(spool, components, seen)
            problems += converter.result.problems
            for loser, winner in _salesforce_merges(converter, job, pair):
                components.merged("salesforce", loser, winner)
            spool.flush()
            for number, members in enumerate(components.shards(limit)):
                shard = _gatherer(job, pair, converter.sweeps)  # one delete sweep for all
                shard.result.problems = problems if number == 0 else 0
                for m in members:
                    item, row = spool.read(m.start, m.length)
                    variant, record, values = unpacked(item)
                    conv = job.compiled.converter(m.system, variant)
                    seen = Seen(conv, record, values, Candidate(*row))
                    shard.result.seen[m.system][record.id] = seen
                yield shard
        finally:
            components.close()


def _spool(spool: Spool, components: Components, seen: Seen) -> None:
    r = seen.record
    candidate = candidate_of(seen.conv, r.id, r.fields, seen.values)
    start, length = spool.write((packed(seen), candidate_row(candidate)))  # made once
    components.add(candidate, start, length)


def _salesforce_merges(gatherer: Gatherer, job: Job, pair: str) -> list[tuple[str, str]]:
    """(loser, winner) of Salesforce merges still in the recycle bin (the delete sweep).

    A merge's loser is no longer read, and the winner does not name it: only the sweep
    joins them, so it is read once here (and shared with every shard's `missing`).
    """
    found: list[tuple[str, str]] = []
    for conv in variants(job.compiled, pair, "salesforce"):
        if "merged_into" in conv.identity:
            swept = gatherer.deletions("salesforce", conv.variant)
            found += [(d.id, d.merged_into) for d in swept.values() if d.merged_into]
    return found
