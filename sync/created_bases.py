"""Bases of records crmops created: what the CRM filled in itself is crmops's own write too.

A create writes the source's values (and the mapping's `create_defaults`), and apply
stores those as bases. The target CRM fills in more on its own: a Salesforce Lead
gets its default Status and the running user as owner. Read back later, those values
differ from a base that was never stored, and the diff would carry them to the source
record as if someone had set them: an echo of crmops's own create. So after a plan's
creates are applied, the created records are read back by id (one call per object
and batch) and every field the pair syncs that has no base yet gets the created
record's value as its base. A record a create adopted instead (the CRM already held
it) has no base at all and is left to be compared like any fresh match. The source
record's own later changes still diff against these bases as usual.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sync.convert import to_json_value
from sync.gather import native_fields, reference_fields, variants
from sync.job import Job
from sync.mapping import Side
from sync.plan import Create, Plan
from sync.store_types import BaseValue

OTHER: dict[str, Side] = {"salesforce": "hubspot", "hubspot": "salesforce"}


def created_bases(job: Job, plan: Plan) -> int:
    """Store the created records' own values as bases where the pair has none yet.

    Args:
        job: the run (reads the store and the CRMs, writes bases).
        plan: the applied plan; creates that failed have no link and are skipped.

    Returns:
        How many bases were stored.
    """
    groups: dict[tuple[str, str], list[Create]] = {}
    for create in plan.creates:
        groups.setdefault((create.system, create.object), []).append(create)
    rows: list[BaseValue] = []
    for (system, variant), creates in groups.items():
        rows += _bases_of(job, system, variant, creates)
    if rows:
        job.store.set_bases(rows)
    return len(rows)


def _bases_of(job: Job, system: str, variant: str, creates: list[Create]) -> list[BaseValue]:
    """Bases from one object's created records, read back by id."""
    side: Side = "salesforce" if system == "salesforce" else "hubspot"
    conv = job.compiled.converter(side, variant)
    source_system = OTHER[side]
    sources = variants(job.compiled, conv.pair, source_system)
    keys = [c.source_id or c.key for c in creates]
    links = job.store.links_for_ids(source_system, keys, [c.variant for c in sources])
    targets = job.store.records_for([x.stable_id for x in links.values()], side)
    made: dict[str, tuple[str, str]] = {}  # created id -> (stable id, source variant)
    for link in links.values():
        target = targets.get(link.stable_id)
        if target is not None and target.object == variant:
            made[target.record_id] = (link.stable_id, link.object)
    # A record crmops created has the bases of what it wrote; one the create adopted
    # instead (the CRM already held it, `sync.apply`) has none and is compared fresh.
    existing = job.store.bases_for([stable for stable, _ in made.values()])
    made = {rid: x for rid, x in made.items() if existing.get(x[0])}
    if not made:
        return []
    records = job.connectors[side].read_by_ids(conv.api_object, list(made), native_fields(conv))
    skip = reference_fields(job.compiled, conv.pair)
    rows = []
    for record in records:
        stable, source_variant = made[record.id]
        source = job.compiled.converter(source_system, source_variant)
        pair = (conv, source) if side == "salesforce" else (source, conv)
        carried = set(job.compiled.rules(*pair)) - skip
        values, _ = conv.to_canonical(record.fields)
        rows += _missing(stable, values, carried, existing.get(stable, {}))
    return rows


def _missing(
    stable: str, values: Mapping[str, Any], carried: set[str], base: Mapping[str, Any]
) -> list[BaseValue]:
    """Non-blank values of synced fields that have no base yet."""
    return [
        BaseValue(stable, name, to_json_value(value))
        for name, value in values.items()
        if name in carried and name not in base and value not in (None, "")
    ]
