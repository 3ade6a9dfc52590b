"""The incremental sync job: read changes since the cursors, match, diff, and build a plan.

Public API: `plan_sync(job, pairs) -> SyncOutcome` (read-only: CRMs and store are only
read), `finish_sync(job, outcome)` (stores agreed bases and advances the cursors, after
the plan was applied). `sync.job.open_job` builds the job; `sync.apply.apply_plan`
executes the plan in between.

Per API object and system the read is `changed_since(cursor)` (with the connector's
overlap), once for every pair on that object. Records re-read unchanged or at their
base (crmops's own writes read back) are left out there (`sync.quiet.settle`), though
the cursors move past them; partners of the others are read by id; a linked record
no read returns is looked for in the delete sweep (merged, deleted) and otherwise
counts as erased. In an incremental run, unlinked persons are looked up on the other
side by email before anything is offered for creation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from integrations.base import Cursor
from sync.candidates import Merge
from sync.field_times import connector_reader
from sync.gather import (
    Changes,
    Gatherer,
    native_fields,
    read_changes,
    read_versions,
    variants,
)
from sync.job import PAIRS, Job, open_job, refresh_job
from sync.mapping import SIDES, Side
from sync.plan import DEFAULT_TTL, Plan, new_plan
from sync.planner import PairPlanner, Vanished, held_for_review
from sync.quiet import settle, unmatched
from sync.references import plan_associations
from sync.store_types import BaseValue, Link

__all__ = [  # Job, open_job and PAIRS live in sync.job; kept importable from here
    "PAIRS",
    "Job",
    "SyncOutcome",
    "finish_sync",
    "missing",
    "open_job",
    "outcome_of",
    "partners",
    "plan_sync",
    "saved_finish",
]

SWEEP_OVERLAP = timedelta(minutes=5)  # deletes are swept from a little before the cursor


@dataclass
class SyncOutcome:
    """A plan and what to store once it is applied: agreed bases and the cursors reached."""

    plan: Plan
    cursors: dict[tuple[Side, str], Cursor] = field(default_factory=dict)
    agreed: dict[str, dict[str, Any]] = field(default_factory=dict)  # Salesforce id -> bases
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # (system, variant) -> record id -> modified time read: stamped on links when finished
    versions: dict[tuple[Side, str], dict[str, datetime]] = field(default_factory=dict)


def plan_sync(
    job: Job, pairs: Sequence[str] = PAIRS, *, full: bool = False, ttl: Any = DEFAULT_TTL
) -> SyncOutcome:
    """Read, match and diff every chosen pair into one plan (nothing is written).

    Args:
        job: from `open_job`.
        pairs: person, company and/or deal (run in dependency order).
        full: ignore the cursors and read everything.
        ttl: how long the plan may be applied after `job.now`.
    """
    chosen = [p for p in PAIRS if p in pairs]
    changed = read_changes(job.compiled, job.connectors, job.store, chosen, full)
    settle(job, changed, full)
    outcome = _plan_pairs(job, chosen, changed, full, ttl)
    # Owners and stages came from the cache and a value to write has no match there:
    # read them again (a new owner or stage) and plan once more if they changed.
    if refresh_job(job, unmatched(outcome.plan)):
        outcome = _plan_pairs(job, chosen, changed, full, ttl)
    return outcome


def _plan_pairs(
    job: Job, chosen: Sequence[str], changed: Changes, full: bool, ttl: Any
) -> SyncOutcome:
    """Gather, match and diff each pair of a read into one plan."""
    outcome = SyncOutcome(new_plan(job.now, ttl))
    for pair in chosen:
        gatherer = Gatherer(job.compiled, job.connectors, job.store, pair, changed.sweeps)
        gatherer.take(changed)
        partners(job, gatherer)
        merges, vanished = missing(job, gatherer)
        if not full:
            look_up_unlinked(job, gatherer)
        planner = PairPlanner(
            job.compiled, job.store, gatherer.result, outcome.plan, connector_reader(job.connectors)
        )
        done = planner.run(merges, vanished, full)
        plan_associations(job, gatherer.result, outcome.plan)
        outcome.cursors.update(gatherer.result.cursors)
        outcome.agreed.update(done.agreed)
        for sf_id, accounts in gatherer.result.associated.items():
            outcome.agreed.setdefault(sf_id, {}).update(accounts)
        for key, stamps in read_versions(gatherer.result).items():
            outcome.versions.setdefault(key, {}).update(stamps)
        outcome.counts[pair] = {
            "read": sum(len(s) for s in gatherer.result.seen.values()),
            "matched": done.matched,
            "in_sync": done.in_sync,
            "conversion_problems": gatherer.result.problems,
        }
    return outcome


def partners(job: Job, g: Gatherer) -> None:
    """Read the linked partner of every record read, and the contacts leads converted to."""
    seen = g.result.seen
    for system in SIDES:
        other: Side = "hubspot" if system == "salesforce" else "salesforce"
        objects = [c.variant for c in variants(job.compiled, g.result.pair, system)]
        links = job.store.links_for_ids(system, list(seen[system]), objects)
        partners = job.store.records_for([x.stable_id for x in links.values()], other)
        by_variant: dict[str, list[str]] = {}
        for link in partners.values():
            if link.record_id not in seen[other]:
                by_variant.setdefault(link.object, []).append(link.record_id)
        for variant, ids in by_variant.items():
            g.fetch(other, variant, ids)
    targets = [
        str(x.record.fields.get(x.conv.identity.get("converted_to", ""), "") or "")
        for x in list(seen["salesforce"].values())
    ]
    wanted = [t for t in targets if t and t not in seen["salesforce"]]
    for conv in variants(job.compiled, g.result.pair, "salesforce"):
        if wanted and conv.api_object == "Contact":
            g.fetch("salesforce", conv.variant, wanted)


def missing(job: Job, g: Gatherer) -> tuple[list[Merge], list[Vanished]]:
    """Linked records no read returned: merged away (a merge), else deleted or erased.

    Salesforce's recent deletes and merges are also swept (one queryAll per object
    since the cursor), so a merge into an unlinked record moves the link at once.
    """
    merges: list[Merge] = []
    vanished: list[Vanished] = []
    for system in SIDES:
        lost, sweeps = _lost_links(job, g, system)
        absorbed = {
            loser: rid
            for rid, x in g.result.seen[system].items()
            for loser in _merged_ids(x.conv.identity.get("merged_ids"), x.record.fields)
        }
        for link in lost:
            if link.record_id in absorbed:
                merges.append(Merge(system, link.record_id, absorbed[link.record_id]))
                continue
            if link.object not in sweeps:
                sweeps[link.object] = g.deletions(system, link.object)
            gone = sweeps[link.object].get(link.record_id)
            if gone is not None and gone.merged_into:
                g.fetch(system, link.object, [gone.merged_into])
                merges.append(Merge(system, link.record_id, gone.merged_into))
                continue
            how = "deleted" if gone is not None else "erased"
            vanished.append(Vanished(link.stable_id, system, link.object, link.record_id, how))
    _fetch_merge_partners(job, g, merges)
    return merges, vanished


def _lost_links(job: Job, g: Gatherer, system: Side) -> tuple[list[Link], dict[str, Any]]:
    """Links of this side whose record was not read: partners missing, recent deletes."""
    seen = g.result.seen
    pair = g.result.pair
    objects = [c.variant for c in variants(job.compiled, pair, system)]
    other: Side = "hubspot" if system == "salesforce" else "salesforce"
    other_objects = [c.variant for c in variants(job.compiled, pair, other)]
    other_links = job.store.links_for_ids(other, list(seen[other]), other_objects)
    partners = job.store.records_for([x.stable_id for x in other_links.values()], system)
    lost = {x.record_id: x for x in partners.values() if x.object in objects}
    sweeps: dict[str, Any] = {}
    for (side, variant), cursor in g.result.since.items():
        # A merge moves the survivor's modified time: sweep objects with a record past
        # the cursor only (not the overlap re-read), so a quiet run costs nothing more;
        # the nightly sweep catches plain deletes.
        if side != "salesforce" or system != side or cursor is None:
            continue
        passed = g.result.passed.get((side, variant), {})  # left out as unchanged
        if not any(_past(x, variant, cursor) for x in seen[system].values()) and not any(
            Cursor(when, rid) > cursor for rid, when in passed.items()
        ):
            continue
        since = _sweep_start(g, system, variant)
        sweeps[variant] = g.deletions(system, variant, since)
        lost.update(job.store.links_for_ids(system, list(sweeps[variant]), [variant]))
    return [x for rid, x in lost.items() if rid not in seen[system]], sweeps


def _past(seen: Any, variant: str, cursor: Cursor) -> bool:
    """A record of `variant` changed after the cursor (not just re-read in the overlap)."""
    return bool(
        seen.conv.variant == variant and Cursor(seen.record.modified, seen.record.id) > cursor
    )


def _sweep_start(g: Gatherer, system: Side, variant: str) -> datetime:
    """The earliest cursor of the variants sharing this one's object, less a margin.

    Variants of one object share a start, so their sweep is one call.
    """
    api_object = g.compiled.converter(system, variant).api_object
    starts = [
        cursor.modified
        for (side, other), cursor in (g.all_since or g.result.since).items()
        if side == system
        and cursor is not None
        and g.compiled.converter(side, other).api_object == api_object
    ]
    return min(starts) - SWEEP_OVERLAP


def _fetch_merge_partners(job: Job, g: Gatherer, merges: list[Merge]) -> None:
    """Read the other side's record of each merged-away loser, to diff it with the winner."""
    for merge in merges:
        link = job.store.links_for_ids(merge.system, [merge.loser]).get(merge.loser)
        other: Side = "hubspot" if merge.system == "salesforce" else "salesforce"
        partner = job.store.records_for([link.stable_id], other) if link else {}
        for found in partner.values():
            g.fetch(other, found.object, [found.record_id])


def _merged_ids(name: str | None, fields: Mapping[str, Any]) -> list[str]:
    value = fields.get(name) if name else None
    return [p for p in str(value or "").split(";") if p]


def look_up_unlinked(job: Job, g: Gatherer) -> None:
    """Find the other side's record of unlinked persons by email before creating anything."""
    if g.result.pair != "person":
        return
    seen = g.result.seen
    held = held_for_review(job.store)
    for system in SIDES:
        other: Side = "hubspot" if system == "salesforce" else "salesforce"
        objects = [c.variant for c in variants(job.compiled, "person", system)]
        links = job.store.links_for_ids(system, list(seen[system]), objects)
        # A one-sided stable id (a rules run's, no partner yet) is looked up like no link.
        paired = job.store.records_for([x.stable_id for x in links.values()], other)
        linked = {rid for rid, x in links.items() if x.stable_id in paired}
        # Converted leads and records held for review are never linked: no look-up.
        emails = sorted(
            {
                x.values["email"]
                for rid, x in seen[system].items()
                if rid not in linked
                and (system, rid) not in held
                and not x.read_only
                and x.values.get("email")
            }
        )
        if emails and other not in g.result.whole:
            _find_by_email(job, g, other, emails)


def _find_by_email(job: Job, g: Gatherer, system: Side, emails: list[str]) -> None:
    """Records of `system` holding any of these emails: one search (or query) per 100 values."""
    connector: Any = job.connectors[system]  # `find` is on both connectors, not the protocol
    for conv in variants(job.compiled, "person", system):
        email = next((io.natives[0] for io in conv.fields if io.name == "email"), None)
        if email is not None:
            found = connector.find(conv.api_object, email, emails, native_fields(conv))
            g.keep(system, found, conv)


def saved_finish(outcome: SyncOutcome) -> dict[str, Any]:
    """What `finish_sync` stores, as plan data (`Plan.finish`) for a plan saved to apply later."""
    return {
        "agreed": outcome.agreed,
        "cursors": [[s, v, c.modified, c.record_id] for (s, v), c in outcome.cursors.items()],
        "versions": [[s, v, stamps] for (s, v), stamps in outcome.versions.items()],
    }


def outcome_of(plan: Plan) -> SyncOutcome:
    """The outcome a saved plan carries (see `saved_finish`); empty for a plan without one."""
    finish = plan.finish or {}
    return SyncOutcome(
        plan,
        cursors={(s, v): Cursor(when, rid) for s, v, when, rid in finish.get("cursors", [])},
        agreed=dict(finish.get("agreed", {})),
        versions={(s, v): dict(stamps) for s, v, stamps in finish.get("versions", [])},
    )


def finish_sync(job: Job, outcome: SyncOutcome) -> None:
    """After the plan is applied: store the bases both sides agreed on, advance the cursors.

    What a CRM fills in on its own when crmops creates a record (a Lead's default
    Status) has no base: the next run carries it to the source record once, so the
    two sides agree, and is quiet after that. Reading every created record back to
    store those values as bases instead would cost a call per batch of creates and
    leave the sides disagreeing.
    """
    if outcome.agreed:
        links = job.store.links_for_ids("salesforce", list(outcome.agreed))
        rows = [
            BaseValue(links[sf_id].stable_id, name, value, job.now)
            for sf_id, values in outcome.agreed.items()
            if sf_id in links
            for name, value in values.items()
        ]
        job.store.set_bases(rows)
    for (system, variant), stamps in outcome.versions.items():
        job.store.set_record_versions(system, variant, stamps)
    for (system, variant), cursor in outcome.cursors.items():
        job.store.save_cursor(system, variant, cursor)
