"""Native records the rules run read, turned into the canonical records the rules evaluate.

`to_item` is pure: native record + converter + owner directory + stable id -> `Item`
(a canonical lead or opportunity, or the reason it cannot be evaluated). A status
that maps to no stage is kept as-is, so the rules see it as unmapped and report it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

from integrations.base import Record, System
from rules.lead import CanonicalLead, CanonicalOpportunity, RecordError
from sync.compiled import ObjectConverter, rules_record
from sync.converter import ASSOCIATION_PREFIX
from sync.rules_systems import OwnerDirectory, SystemSpec

Kind = Literal["lead", "opportunity"]
PAIRS: dict[str, str] = {"lead": "person", "opportunity": "deal"}


@dataclass
class Item:
    """One record of this run: native values, identity, and its canonical form."""

    kind: Kind
    system: System
    object: str
    record_id: str
    stable_id: str
    native: dict[str, Any]
    canonical: CanonicalLead | CanonicalOpportunity | None = None
    read_only: bool = False
    owner_usable: bool = True
    problems: list[str] = field(default_factory=list)


def read_fields(spec: SystemSpec, kind: Kind, converter: ObjectConverter) -> list[str]:
    """Native fields one object's read asks for: the mapped ones and what the run writes."""
    names = [
        n for io in converter.fields for n in io.natives if not n.startswith(ASSOCIATION_PREFIX)
    ]
    names += list(converter.when) + list(converter.read_only_when)
    if kind == "lead":
        names += [spec.score, spec.temperature, spec.breakdown, spec.stage_changed, spec.owner]
        names += [spec.rating] if spec.rating else []
        names += list(spec.lead_extra_reads)
    return list(dict.fromkeys(names))


def _stage_problem(
    converter: ObjectConverter, native: Mapping[str, Any], values: dict[str, Any], problems: list
) -> None:
    """Keep an unmapped native status as the stage, so the rules report it unmapped."""
    for problem in problems:
        if problem.field == "stage":
            stage_io = next(io for io in converter.fields if io.name == "stage")
            raw = native.get(stage_io.natives[0])
            values["stage"] = str(raw) if raw is not None else None


def _opportunity_values(values: dict[str, Any], record: Record, zone: ZoneInfo) -> dict[str, Any]:
    """The deal fields the mapping carries, in the opportunity's canonical names."""
    out = dict(values)
    if out.pop("site_visit_completed", None):
        out["needs_assessment_completed_at"] = record.modified
    end = out.pop("contract_end_date", None)
    if end is not None:
        out["contract_end_at"] = datetime.combine(end, time(0), zone)
    return out


def canonical_values(
    kind: Kind,
    converter: ObjectConverter,
    record: Record,
    owners: OwnerDirectory,
    zone: ZoneInfo,
) -> tuple[dict[str, Any], list[str]]:
    """Canonical values the rules read for one native record, and conversion problems."""
    values, problems = converter.to_canonical(record.fields)
    _stage_problem(converter, record.fields, values, problems)
    notes = [f"{p.field}: {p.message}" for p in problems if p.field != "stage"]
    if kind == "opportunity":
        values = _opportunity_values(values, record, zone)
    owner = values.get("owner_id")
    values["manager_id"] = owners.managers.get(owner) if owner else None
    return values, notes


def to_item(
    kind: Kind,
    converter: ObjectConverter,
    record: Record,
    stable_id: str,
    owners: OwnerDirectory,
    zone: ZoneInfo,
    won_deal: bool | None = None,
    extra_types: Mapping[str, str] | None = None,
) -> Item:
    """An `Item` ready to evaluate (or carrying why it cannot be).

    `won_deal` is the lead's `has_won_deal` (sync/rules_deals.py; None: unknown).
    `extra_types` are the rules file's `extra_fields` of this kind: canonical fields an
    admin added by mapping a CRM field to them, passed on to the rules.
    """
    item = Item(
        kind,
        converter.system,
        record.object,
        record.id,
        stable_id,
        record.fields,
        read_only=converter.is_read_only(record.fields),
    )
    values, item.problems = canonical_values(kind, converter, record, owners, zone)
    if kind == "lead":
        values["has_won_deal"] = won_deal
    item.owner_usable = owners.usable(values.get("owner_id"))
    data = rules_record(values, stable_id, converter.system, kind)
    data.update({name: values[name] for name in extra_types or () if name in values})
    cls = CanonicalLead if kind == "lead" else CanonicalOpportunity
    try:
        item.canonical = cls.from_mapping(data, extra_types)
    except RecordError as exc:
        item.problems.append(str(exc))
    return item
