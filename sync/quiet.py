"""Records re-read at their base: read again, but with nothing to carry across.

A record whose every mapped field equals the stored base of its linked pair has not
changed on its side since the last sync (typically crmops's own write read back, or
a touch that moved no mapped field). Diffing it would need its partner read by id,
owners and stage tables, and the HubSpot associations of its account, to find that
nothing is to be done. A change its partner made since arrives through the
partner's own changed-since read, so leaving such a record out loses nothing.

Kept (never quiet): unlinked records, records whose stable id has no partner yet,
records held for review, read-only ones (converted leads), records carrying a
conversion or a merge whose link has not moved yet, a stored other-system id that is
not the partner's, and any field that has no base (a field that fails conversion is
left out, as the diff leaves it out). A Salesforce record with a reference field set
(an account) other than the one last found associated on HubSpot (the reference
field's base) is quiet for the field diff but still feeds association planning.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from integrations.base import Record
from sync.compiled import CompiledMapping, ObjectConverter
from sync.diff import MISSING, FieldRule
from sync.gather import Changes, drop_unchanged, reference_fields
from sync.job import Job, complete_job, refresh_job, table_fields
from sync.mapping import Side
from sync.plan import Plan
from sync.planner import held_for_review
from sync.store import StateStore
from sync.store_types import Link

OTHER: dict[Side, Side] = {"salesforce": "hubspot", "hubspot": "salesforce"}
FLOW_ROLES = ("converted_to", "merged_into")  # identity events: never quiet
# Policies under which a change on one side alone may still overwrite that side.
OVERWRITING = frozenset({"salesforce_wins", "hubspot_wins", "most_restrictive"})
UNMATCHED_KINDS = frozenset({"unmatched_owner", "rejected"})  # planned values a target lacks


def settle(job: Job, changed: Changes, full: bool) -> None:
    """Leave out records re-read unchanged or at their base; compile owners and stages if needed.

    Owners and stages come from the store's cache (`sync.job`); a record naming an
    owner or deal stage they lack has them read again first (once per such value
    until the tables are next read, so a deactivated owner does not cost every run).
    """
    if full:
        complete_job(job)
        return
    held = held_for_review(job.store)
    drop_unchanged(job.compiled, job.store, changed, held)
    if not any(changed.records.values()):
        return
    complete_job(job)
    refresh_job(job, unknown(job, changed))
    drop_at_base(job.compiled, job.store, changed, held)


def unknown(job: Job, changed: Changes) -> set[str]:
    """Owner and deal stage values records read name that the cached tables lack."""
    tabled = table_fields(job)
    pairs = {pair for pair, _ in tabled}
    found: set[str] = set()
    for (system, api_object), records in changed.records.items():
        for record in records:
            conv = job.compiled.classify(system, api_object, record.fields)
            if conv is None or conv.pair not in pairs:
                continue
            for problem in conv.to_canonical(record.fields)[1]:
                if (conv.pair, problem.field) in tabled:
                    found.add(_key(system, problem.field, problem.value))
    return found


def unmatched(plan: Plan) -> set[str]:
    """Values the plan holds back because the target has no match (an owner, a stage)."""
    return {
        _key(item.records[0][0], str(item.detail.get("field")), item.detail.get("value"))
        for item in plan.review
        if item.kind in UNMATCHED_KINDS and item.records
    }


def _key(system: str, name: str, value: Any) -> str:
    return f"{system}:{name}={json.dumps(value, sort_keys=True, default=str)}"


def drop_at_base(
    compiled: CompiledMapping,
    store: StateStore,
    changed: Changes,
    held: Collection[tuple[str, str]] = (),
) -> int:
    """Move linked records whose mapped fields all equal their base out of `changed`.

    They go to `changed.passed` (their cursor marks and versions still count), and
    those with a reference set also to `changed.referencing`. Needs the compiled
    mapping with owners and stage tables (values are compared in canonical form).
    Reads the store only; no API call.

    Returns:
        How many records were left out.
    """
    dropped = 0
    for key, records in changed.records.items():
        system, api_object = key
        convs = [
            c
            for c in compiled.converters.values()
            if c.system == system and c.api_object == api_object
        ]
        links = store.links_for_ids(system, [r.id for r in records], [c.variant for c in convs])
        partners = store.records_for([x.stable_id for x in links.values()], OTHER[system])
        bases = store.bases_for(list(partners))
        kept: list[Record] = []
        for record in records:
            link = links.get(record.id)
            partner = partners.get(link.stable_id) if link else None
            conv = _variant(convs, record)
            base = bases.get(link.stable_id) if link else None
            if (
                conv is None
                or link is None
                or partner is None
                or not base
                or (system, record.id) in held
                or _merge_pending(store, conv, record)
                or not _at_base(compiled, conv, partner, record, base)
            ):
                kept.append(record)
                continue
            dropped += 1
            changed.passed.setdefault(key, []).append(record)
            if _references(compiled, conv, record, base):
                changed.referencing.setdefault(key, []).append(record)
        changed.records[key] = kept
    return dropped


def _merge_pending(store: StateStore, conv: ObjectConverter, record: Record) -> bool:
    """A merge winner (HubSpot) one of whose merged-away records still holds a link."""
    native = conv.identity.get("merged_ids")
    losers = [x for x in str(record.fields.get(native) or "").split(";") if x] if native else []
    losers = [x for x in losers if x != record.id]
    return bool(losers and store.links_for_ids(conv.system, losers, [conv.variant]))


def _variant(convs: Sequence[ObjectConverter], record: Record) -> ObjectConverter | None:
    return next((c for c in convs if not c.when or c.selects(record.fields)), None)


def _at_base(
    compiled: CompiledMapping,
    conv: ObjectConverter,
    partner: Link,
    record: Record,
    base: Mapping[str, Any],
) -> bool:
    """Every field the pair syncs equals its base, and no identity event rides on the record."""
    if conv.is_read_only(record.fields):
        return False
    for role in FLOW_ROLES:
        native = conv.identity.get(role)
        if native and record.fields.get(native):
            return False
    other_id = conv.identity.get("other_id")
    if other_id and record.fields.get(other_id) not in (None, "", partner.record_id):
        return False
    try:
        other = compiled.converter(partner.system, partner.object)  # type: ignore[arg-type]
    except KeyError:
        return False
    pair = (conv, other) if conv.system == "salesforce" else (other, conv)
    rules = compiled.rules(*pair)
    # A field that fails conversion is left out of `values`, as the diff leaves it out.
    values, _ = conv.to_canonical(record.fields)
    skip = reference_fields(compiled, conv.pair)  # associations: planned apart, by id
    return all(
        _settled(rule, values[name], base.get(name, MISSING), conv.system)
        for name, rule in rules.items()
        if name in values and name not in skip and rule.policy != "never"
    )


def _settled(rule: FieldRule, value: Any, base: Any, side: Side) -> bool:
    """Diffing this field now could write nothing unless the partner changed it.

    The value equals its base (under the field's normal form; a blank never synced
    counts as a blank base: the planner stores no base for a field blank on both
    sides). Or, under a policy that never overwrites this side for a change of its
    own (`OVERWRITING`), the diff would only hold it back: the value is blank (a
    blank never overwrites the partner's value), or only the partner could take it
    and may not be written (the base holds the partner's value,
    `PairPlanner._held_bases`, or nothing when that was blank).
    """
    blank = value is None or value == ""
    if base is MISSING and blank:
        return True  # the base of a field blank on both sides is not stored: it is blank
    if base is not MISSING:
        try:
            if rule.canon(value) == rule.canon(base):
                return True
        except ValueError:
            return False
    if rule.policy in OVERWRITING:
        return False
    if blank:
        return not rule.blanks_win
    return OTHER[side] not in rule.writable


def _references(
    compiled: CompiledMapping, conv: ObjectConverter, record: Record, base: Mapping[str, Any]
) -> bool:
    """A Salesforce record with a reference (an account) HubSpot was not yet seen to carry.

    The base of a reference field is the account last found associated on HubSpot
    (`sync.references`).
    """
    if conv.system != "salesforce":
        return False
    names = reference_fields(compiled, conv.pair)
    for io in conv.fields:
        if io.name in names and io.natives:
            value = record.fields.get(io.natives[0])
            if value and base.get(io.name) != value:
                return True
    return False
