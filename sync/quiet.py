"""Records re-read at their base: read again, but with nothing to carry across.

A record whose every mapped field equals the stored base of its linked pair has not
changed on its side since the last sync (typically crmops's own write read back, or
a touch that moved no mapped field). Diffing it would need its partner read by id,
owners and stage tables, and the HubSpot associations of its account, to find that
nothing is to be done. A change its partner made since arrives through the
partner's own changed-since read, so leaving such a record out loses nothing.

Kept (never quiet): unlinked records, records whose stable id has no partner yet,
records held for review, read-only ones (converted leads), records carrying a merge
or a conversion, a stored other-system id that is not the partner's, and any field
that fails conversion or has no base. A Salesforce record with a reference field set
(an account) other than the one last found associated on HubSpot (the reference
field's base) is quiet for the field diff but still feeds association planning.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from integrations.base import Record
from sync.compiled import CompiledMapping, ObjectConverter
from sync.diff import MISSING, FieldRule
from sync.gather import Changes, reference_fields
from sync.mapping import Side
from sync.store import StateStore
from sync.store_types import Link

OTHER: dict[Side, Side] = {"salesforce": "hubspot", "hubspot": "salesforce"}
FLOW_ROLES = ("converted_to", "merged_into", "merged_ids")  # identity events, never quiet
# Policies under which a change on one side alone may still overwrite that side.
OVERWRITING = frozenset({"salesforce_wins", "hubspot_wins", "most_restrictive"})


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
    values, problems = conv.to_canonical(record.fields)
    skip = reference_fields(compiled, conv.pair)  # associations: planned apart, by id
    if any(p.field not in skip for p in problems):
        return False
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
