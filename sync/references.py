"""Reference fields carried as HubSpot associations (a contact's or deal's company), planned.

The mapping's `reference` fields (`company_id`: Salesforce `Contact.AccountId` and
`Opportunity.AccountId` <-> HubSpot contact->company and deal->company associations)
are not properties, so the field diff leaves them out; this module plans them as
`Association` items instead. Salesforce owns them (`direction: to_hubspot`): for each
Salesforce record read this run with an account, the HubSpot partner must be
associated with the account's company. HubSpot's current associations are read
(v4 batch read, 100 records a call) only for records that have an account whose
company is known, so a run with no such record costs no call. An association
HubSpot already has is left alone, and the account is stored as the reference field's
base (`PairRead.associated`), so the record re-read unchanged costs no read; other
companies on the record are never removed, and a blank account never removes one (a
blank never overwrites a value).

A partner or company created by the same plan has no HubSpot id yet: the item names
the Salesforce record (`from_source` / `to_source`) and apply resolves it through
the links made by the creates.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sync.converter import ASSOCIATION_PREFIX
from sync.gather import PairRead, variants
from sync.job import Job
from sync.plan import Association, Plan

READER = "read_associations"  # HubSpot connector method; a connector without it plans none
Reader = Callable[[str, str, Sequence[str]], Mapping[str, Sequence[str]]]


@dataclass(frozen=True)
class ReferenceField:
    """One reference field of one Salesforce variant and its HubSpot association."""

    name: str
    target: str  # the pair referenced (company)
    salesforce_variant: str
    salesforce_field: str  # AccountId
    hubspot_object: str  # contacts
    hubspot_to: str  # companies


def reference_fields(job: Job, pair: str) -> list[ReferenceField]:
    """Reference fields of a pair that Salesforce carries and HubSpot takes as associations."""
    found = []
    for hs in variants(job.compiled, pair, "hubspot"):
        for io in hs.fields:
            native = io.natives[0]
            if not (io.writable and native.startswith(ASSOCIATION_PREFIX)):
                continue
            spec = job.compiled.mapping.pairs[pair].fields[io.name]
            target = str(spec.target or pair)
            for sf in variants(job.compiled, pair, "salesforce"):
                sf_io = next((f for f in sf.fields if f.name == io.name), None)
                if sf_io is not None:
                    to = native[len(ASSOCIATION_PREFIX) :]
                    found.append(
                        ReferenceField(
                            io.name, target, sf.variant, sf_io.natives[0], hs.variant, to
                        )
                    )
    return found


def plan_associations(job: Job, read: PairRead, plan: Plan) -> int:
    """Add the associations this pair's records read this run lack on HubSpot.

    Args:
        job: the run (store and connectors are read, never written).
        read: what was read for the pair.
        plan: the plan so far (this pair's links and creates, and the target pair's,
            which is planned first, are already in it).

    Returns:
        How many association items were added.
    """
    reader: Reader | None = getattr(job.connectors["hubspot"], READER, None)
    if reader is None:
        return 0
    return sum(_plan_one(job, reader, ref, read, plan) for ref in reference_fields(job, read.pair))


def _plan_one(job: Job, reader: Reader, ref: ReferenceField, read: PairRead, plan: Plan) -> int:
    accounts = {
        rid: str(x.record.fields.get(ref.salesforce_field) or "")
        for rid, x in [*read.seen["salesforce"].items(), *read.referencing.items()]
        if x.conv.variant == ref.salesforce_variant and not x.read_only
    }
    accounts = {rid: acc for rid, acc in accounts.items() if acc}
    if not accounts:
        return 0
    sources = _hubspot_ends(
        job, plan, _Ends([ref.salesforce_variant], [ref.hubspot_object]), accounts
    )
    targets = _hubspot_ends(job, plan, _ends(job, ref.target), set(accounts.values()))
    known = [sources[r] for r, acc in accounts.items() if sources.get(r) and targets.get(acc)]
    current = reader(ref.hubspot_object, ref.hubspot_to, known) if known else {}
    added = 0
    for rid, account in sorted(accounts.items()):
        if rid not in sources or account not in targets:
            continue  # no partner or no company on HubSpot (yet): nothing to associate
        from_id, to_id = sources[rid], targets[account]
        if from_id and to_id and to_id in current.get(from_id, ()):
            # HubSpot has it: remembered as the field's base, so this record re-read
            # unchanged later needs no association read (`sync.quiet`).
            read.associated.setdefault(rid, {})[ref.name] = account
            continue
        plan.associations.append(
            Association(
                "hubspot",
                ref.hubspot_object,
                from_id,
                ref.hubspot_to,
                to_id,
                from_source="" if from_id else rid,
                to_source="" if to_id else account,
            )
        )
        added += 1
    return added


@dataclass(frozen=True)
class _Ends:
    """The objects an end may be: Salesforce variants and their HubSpot objects."""

    salesforce: list[str]
    hubspot: list[str]


def _ends(job: Job, pair: str) -> _Ends:
    return _Ends(
        [c.variant for c in variants(job.compiled, pair, "salesforce")],
        [c.variant for c in variants(job.compiled, pair, "hubspot")],
    )


def _hubspot_ends(job: Job, plan: Plan, ends: _Ends, wanted: Collection[str]) -> dict[str, str]:
    """Salesforce id -> its HubSpot partner's id ("" when the plan creates the partner).

    Ids with no partner of the end's objects, stored or planned, are left out (an
    opportunity of a Person Account has no company).
    """
    links = job.store.links_for_ids("salesforce", list(wanted), ends.salesforce)
    partners = job.store.records_for([x.stable_id for x in links.values()], "hubspot")
    found: dict[str, str] = {
        rid: partners[link.stable_id].record_id
        for rid, link in links.items()
        if link.stable_id in partners and partners[link.stable_id].object in ends.hubspot
    }
    for x in plan.links:
        if x.salesforce_id in wanted and x.salesforce_object in ends.salesforce:
            found[x.salesforce_id] = x.hubspot_id
    for create in plan.creates:
        source = create.source_id or create.key
        if create.system == "hubspot" and create.object in ends.hubspot and source in wanted:
            found.setdefault(source, "")
    return found


def resolve(job: Job, item: Association) -> tuple[str, str] | None:
    """The HubSpot ids of an association's two ends, through links made since it was planned.

    Returns:
        (from id, to id), or None when an end still has no HubSpot record (its create
        failed or was skipped).
    """
    ends = []
    for record_id, source in ((item.from_id, item.from_source), (item.to_id, item.to_source)):
        if record_id:
            ends.append(record_id)
            continue
        link = job.store.links_for_ids("salesforce", [source]).get(source)
        partner = job.store.records_for([link.stable_id], "hubspot") if link else {}
        found: Mapping[str, Any] = partner
        if not found:
            return None
        ends.append(next(iter(found.values())).record_id)
    return ends[0], ends[1]
