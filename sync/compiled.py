"""A mapping compiled once per run into per-object converters (native <-> canonical).

Public API: `compile_mapping(mapping, context) -> CompiledMapping`; `CompileContext`
(what is only known at run time: the rules' stage table, HubSpot deal-stage ids by
label, owners, reference lookups); `ObjectConverter.to_canonical / to_native`;
`CompiledMapping.classify / converter / rules`.

Native records' associations appear as fields named `associations.<object>` (a list of
ids, or one id); `ObjectConverter.associations` lists them so writers keep them apart.
`ConversionProblem` and `ObjectConverter` live in `sync.converter`, `rules_record` and
`stage_values_from_rules` (the rules engine's side) in `sync.compiled_rules`; all are
re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from sync.compiled_rules import rules_record, stage_values_from_rules
from sync.convert import CODECS, Codec
from sync.converter import ConversionProblem, FieldIO, ObjectConverter
from sync.diff import FieldRule
from sync.fieldcodecs import owner_codec, reference_codec, stage_reader, stage_writer
from sync.mapping import SIDES, FieldMap, PairSpec, Side
from sync.mapping import Mapping as MappingFile
from sync.mapping_checks import native_by_object
from sync.picklists import picklist_codec, value_table

__all__ = [
    "CompileContext",
    "CompiledMapping",
    "ConversionProblem",
    "ObjectConverter",
    "References",
    "compile_mapping",
    "rules_record",
    "stage_values_from_rules",
]

StageValues = Mapping[str, Mapping[str, Mapping[str, Mapping[str, str]]]]


class References(Protocol):
    """Lookups of links for reference fields (e.g. a contact's company)."""

    def stable_id(self, system: Side, pair: str, record_id: str) -> str | None:
        """The stable id linked to a native record, if any."""
        ...

    def record_id(self, system: Side, pair: str, stable_id: str) -> str | None:
        """The native record linked to a stable id on one side, if any."""
        ...


@dataclass(frozen=True)
class CompileContext:
    """Run-time inputs of a compiled mapping.

    Attributes:
        stage_values: system -> `lead`/`opportunity` -> stage -> {native field: value}, as in
            the rules file's `stage_values` (one source of truth for stage names).
        deal_stage_ids: HubSpot deal stage label -> id, from the pipelines API.
        owners: system -> native owner/user id -> email (owners are matched by email).
        owner_values: `email` (sync: comparable across systems) or `native` (rules: the CRM id).
        references: link lookups for reference fields; None leaves references unresolved.
    """

    stage_values: StageValues = field(default_factory=dict)
    deal_stage_ids: Mapping[str, str] = field(default_factory=dict)
    owners: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    owner_values: Literal["email", "native"] = "email"
    references: References | None = None


@dataclass(frozen=True)
class CompiledMapping:
    """Every object converter of a mapping, by (system, variant)."""

    mapping: MappingFile
    converters: Mapping[tuple[str, str], ObjectConverter]
    field_rules: Mapping[str, Mapping[str, FieldRule]]
    _pair_rules: dict[tuple[str, str], dict[str, FieldRule]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def converter(self, system: Side, variant: str) -> ObjectConverter:
        """The converter of one object variant (KeyError when the mapping has none)."""
        return self.converters[(system, variant)]

    def classify(
        self, system: Side, api_object: str, native: Mapping[str, Any]
    ) -> ObjectConverter | None:
        """The variant a native record belongs to (Account -> PersonAccount or Account)."""
        for conv in self.converters.values():
            if conv.system == system and conv.api_object == api_object and conv.selects(native):
                return conv
        return None

    def rules(self, salesforce: ObjectConverter, hubspot: ObjectConverter) -> dict[str, FieldRule]:
        """Field rules for a linked pair of objects: fields both carry, writable per side.

        Computed once per pair of variants (e.g. Lead <-> contacts) and reused.
        """
        cached = self._pair_rules.get((salesforce.variant, hubspot.variant))
        if cached is not None:
            return cached
        rules: dict[str, FieldRule] = {}
        for name, rule in self.field_rules[salesforce.pair].items():
            if name not in salesforce.carried or name not in hubspot.carried:
                continue
            allowed = {
                s
                for s, conv in zip(SIDES, (salesforce, hubspot), strict=True)
                if name in conv.writable
            }
            rules[name] = rule.restricted(frozenset(allowed))
        self._pair_rules[(salesforce.variant, hubspot.variant)] = rules
        return rules

    def create_target(self, source: ObjectConverter) -> ObjectConverter | None:
        """What a record found only on `source`'s side is created as on the other side."""
        other: Side = "hubspot" if source.system == "salesforce" else "salesforce"
        create_as = getattr(self.mapping.pairs[source.pair], other).create_as
        return self.converters[(other, create_as)] if create_as else None

    def create_values(
        self, source: ObjectConverter, target: ObjectConverter, values: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Canonical values for creating `target` from a `source` record.

        The source's non-blank values of the fields both objects carry and the target
        may be written; crmops's own key (`identity.other_id`) is the caller's to add.
        """
        pair = (source, target) if source.system == "salesforce" else (target, source)
        rules = self.rules(*pair)
        return {
            name: value
            for name, value in values.items()
            if name in rules and target.system in rules[name].writable and value not in (None, "")
        }


def compile_mapping(mapping: MappingFile, context: CompileContext | None = None) -> CompiledMapping:
    """Compile the mapping once; the result converts records without re-reading the file."""
    ctx = context or CompileContext()
    converters: dict[tuple[str, str], ObjectConverter] = {}
    field_rules: dict[str, dict[str, FieldRule]] = {}
    for pair_name, pair in mapping.pairs.items():
        codecs = {
            name: _codec_for(mapping, pair_name, spec, ctx) for name, spec in pair.fields.items()
        }
        field_rules[pair_name] = {
            name: _rule(mapping, name, spec, codecs[name]) for name, spec in pair.fields.items()
        }
        for side in SIDES:
            for variant in getattr(pair, side).objects:
                conv = _object_converter(pair_name, pair, side, variant, codecs, ctx)
                converters[(side, variant)] = conv
    return CompiledMapping(mapping, converters, field_rules)


def _rule(mapping: MappingFile, name: str, spec: FieldMap, codec: Codec | None) -> FieldRule:
    directions = {"both": SIDES, "to_salesforce": ("salesforce",), "to_hubspot": ("hubspot",)}
    direction = "none" if spec.policy == "never" else (spec.direction or "both")
    blank = (
        mapping.options.blank_overwrites if spec.blank_overwrites is None else spec.blank_overwrites
    )
    return FieldRule(
        name=name,
        policy=spec.policy,
        writable=frozenset(directions.get(direction, ())),
        blank_overwrites=blank,
        canon=codec.canon if codec else (lambda v: v),
    )


def _codec_for(
    mapping: MappingFile, pair: str, spec: FieldMap, ctx: CompileContext
) -> Codec | None:
    if spec.derive_any_of is not None:
        return CODECS["boolean"]
    if spec.type in ("picklist", "multiselect"):
        values = spec.values
        names = mapping.value_sets[values] if isinstance(values, str) else list(values)
        overrides = {} if isinstance(values, str) else values
        return picklist_codec(value_table(names, overrides, spec.style), spec.type == "multiselect")
    if spec.type == "owner":
        return owner_codec(ctx.owners, ctx.owner_values)
    if spec.type == "reference":
        return reference_codec(ctx.references, spec.target or pair)
    return CODECS.get(spec.type)


def _object_converter(
    pair_name: str,
    pair: PairSpec,
    side: Side,
    variant: str,
    codecs: Mapping[str, Codec | None],
    ctx: CompileContext,
) -> ObjectConverter:
    side_spec = getattr(pair, side)
    obj = side_spec.objects[variant]
    objects = list(side_spec.objects)
    ios: list[FieldIO] = []
    derived: list[tuple[str, tuple[str, ...]]] = []
    for name, spec in pair.fields.items():
        if spec.derive_any_of is not None:
            derived.append((name, tuple(spec.derive_any_of)))
            continue
        natives = tuple(native_by_object(getattr(spec, side), objects).get(variant, ()))
        if natives:
            writable = spec.policy != "never" and not set(natives) & set(obj.read_only)
            ios.append(_field_io(name, spec, side, natives, codecs[name], ctx, writable))
    identity = {
        role: names[0]
        for role, spec in side_spec.identity.model_dump().items()
        if (names := native_by_object(spec, objects).get(variant))
    }
    reads = [n for io in ios for n in io.natives] + list(identity.values())
    reads += list(obj.when) + list(obj.read_only_when)
    return ObjectConverter(
        pair=pair_name,
        system=side,
        variant=variant,
        api_object=obj.object or variant,
        fields=tuple(ios),
        derived=tuple(derived),
        when=obj.when,
        read_only_when=obj.read_only_when,
        create_defaults=obj.create_defaults,
        read_fields=tuple(dict.fromkeys(reads)),
        identity=identity,
    )


def _field_io(
    name: str,
    spec: FieldMap,
    side: Side,
    natives: tuple[str, ...],
    codec: Codec | None,
    ctx: CompileContext,
    writable: bool,
) -> FieldIO:
    if spec.type == "stage":
        kind = (spec.values_from or "rules.lead").split(".", 1)[1]
        table = _labels_as_values(ctx.stage_values.get(side, {}).get(kind, {}), natives)
        ids = ctx.deal_stage_ids if spec.labels_to_ids == side else None
        choices = {
            f: tuple(dict.fromkeys(v[f] for v in table.values() if f in v))
            for f in natives
            if ids is None or f != natives[0]
        }
        return FieldIO(
            name,
            natives,
            stage_reader(table, natives, ids),
            stage_writer(table, natives, ids),
            writable,
            choices=choices,
        )
    assert codec is not None, f"no codec for type {spec.type}"
    native, read, write = natives[0], codec.read[side], codec.write[side]
    return FieldIO(
        name,
        natives,
        lambda record: read(record.get(native)),
        lambda value: {native: write(value)},
        writable,
        read,
        {native: codec.choices[side]} if codec.choices else None,
    )


def _labels_as_values(
    table: Mapping[str, Mapping[str, str]], natives: tuple[str, ...]
) -> dict[str, dict[str, str]]:
    """Read the rules file's `dealstage_label: Proposal` as the label of `dealstage`."""
    out: dict[str, dict[str, str]] = {}
    for stage, values in table.items():
        out[stage] = {}
        for name, value in values.items():
            base = name.removesuffix("_label")
            out[stage][base if base in natives and base != name else name] = value
    return out
