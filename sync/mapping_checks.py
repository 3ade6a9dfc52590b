"""Semantic checks of a schema-valid mapping file, each problem located at file:line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from config.yamlfile import Path_, Problem, line_of
from sync.mapping import SIDES, FieldMap, Mapping, NativeNames, PairSpec, Side

PICKLISTS = frozenset({"picklist", "multiselect"})


class _Report:
    """Collects located problems for one file."""

    def __init__(self, path: Path, lines: dict[Path_, int]) -> None:
        self.path, self.lines = str(path), lines
        self.problems: list[Problem] = []

    def add(self, where: Path_, message: str) -> None:
        label = ".".join(str(p) for p in where)
        self.problems.append(Problem(self.path, line_of(self.lines, where), f"{label}: {message}"))


def native_by_object(names: NativeNames | None, objects: list[str]) -> dict[str, list[str]]:
    """Spread a field's native names over the side's objects (object -> names)."""
    if names is None:
        return {}
    if isinstance(names, str):
        return {obj: [names] for obj in objects}
    if isinstance(names, list):
        return {obj: list(names) for obj in objects}
    return {obj: [n] if isinstance(n, str) else list(n) for obj, n in names.items()}


def check_mapping(mapping: Mapping, path: Path, lines: dict[Path_, int]) -> list[Problem]:
    """Every semantic problem of the mapping (the schema was already validated)."""
    report = _Report(path, lines)
    if not mapping.pairs.items():
        report.add(("pairs",), "no pairs to sync")
    _check_variants_unique(mapping, report)
    _check_options(mapping, report)
    for pair_name, pair in mapping.pairs.items():
        where: Path_ = ("pairs", pair_name)
        for side in SIDES:
            create_as = getattr(pair, side).create_as
            if create_as is not None and create_as not in getattr(pair, side).objects:
                report.add((*where, side, "create_as"), f"'{create_as}' is not one of its objects")
        _check_native_use(pair, where, report)
        for name, spec in pair.fields.items():
            _check_field(mapping, pair, name, spec, (*where, "fields", name), report)
    return report.problems


def _check_options(mapping: Mapping, report: _Report) -> None:
    """Option values this version accepts but cannot carry out are refused, not ignored."""
    options = mapping.options
    if options.mirror_tasks:
        report.add(
            ("options", "mirror_tasks"),
            "mirroring tasks to the other CRM is not supported yet; tasks stay in the record's "
            "own CRM (set false)",
        )
    if options.on_delete != "unlink_and_report":
        report.add(
            ("options", "on_delete"),
            f"'{options.on_delete}' is not supported yet; a delete unlinks and is reported "
            "(unlink_and_report)",
        )


def _check_variants_unique(mapping: Mapping, report: _Report) -> None:
    """An object name (e.g. PersonAccount) belongs to one pair per side."""
    owner: dict[tuple[str, str], str] = {}
    for pair_name, pair in mapping.pairs.items():
        for side in SIDES:
            for variant in getattr(pair, side).objects:
                first = owner.setdefault((side, variant), pair_name)
                if first != pair_name:
                    where = ("pairs", pair_name, side, "objects", variant)
                    report.add(
                        where, f"{side} object '{variant}' already belongs to pair '{first}'"
                    )


def _check_native_use(pair: PairSpec, where: Path_, report: _Report) -> None:
    """Object keys must exist on their side; a native field is mapped by one field only."""
    for side in SIDES:
        objects = list(getattr(pair, side).objects)
        seen: dict[tuple[str, str], str] = {}
        for name, spec in pair.fields.items():
            names = getattr(spec, side)
            loc = (*where, "fields", name, side)
            if isinstance(names, dict):
                for obj in names:
                    if obj not in objects:
                        report.add(
                            (*loc, obj), f"unknown {side} object (known: {', '.join(objects)})"
                        )
            for obj, natives in native_by_object(names, objects).items():
                for native in natives:
                    other = seen.setdefault((obj, native), name)
                    if other != name:
                        report.add(
                            loc, f"{side} {obj}.{native} is already mapped by field '{other}'"
                        )


def _check_field(
    mapping: Mapping, pair: PairSpec, name: str, spec: FieldMap, loc: Path_, report: _Report
) -> None:
    _check_shape(spec, loc, report)
    _check_values(mapping, spec, loc, report)
    _check_policy(spec, loc, report)
    if spec.derive_any_of is not None:
        _check_derived(pair, spec, loc, report)
    elif spec.salesforce is None and spec.hubspot is None:
        report.add(loc, "maps no native field on either side (give salesforce and/or hubspot)")
    if spec.type == "reference":
        if spec.target is None:
            report.add((*loc, "type"), "a reference needs `target` (the pair it points at)")
        if (spec.direction or "both") != "to_hubspot":
            report.add(
                (*loc, "direction"),
                "a reference is synced Salesforce -> HubSpot associations only (to_hubspot)",
            )
        elif spec.target not in mapping.pairs:
            report.add((*loc, "target"), f"unknown pair '{spec.target}'")


def _check_shape(spec: FieldMap, loc: Path_, report: _Report) -> None:
    """Options that only make sense for some types."""
    if spec.type != "reference" and spec.target is not None:
        report.add((*loc, "target"), "only a reference field has a target")
    if spec.type not in PICKLISTS and spec.style:
        report.add((*loc, "style"), "only picklist and multiselect fields have a style")
    if spec.type != "stage" and spec.labels_to_ids is not None:
        report.add((*loc, "labels_to_ids"), "only a stage field is looked up by label")
    if spec.type != "stage" and spec.values_from is not None:
        report.add((*loc, "values_from"), "only a stage field takes its values from the rules")
    if spec.type == "stage" and spec.values_from is None:
        report.add(
            (*loc, "type"), "a stage field needs `values_from` (rules.lead or rules.opportunity)"
        )
    for side in SIDES:
        names = getattr(spec, side)
        several = isinstance(names, list) or (
            isinstance(names, dict) and any(isinstance(n, list) for n in names.values())
        )
        if several and spec.type != "stage":
            report.add((*loc, side), "only a stage field may span several native fields")


def _check_values(mapping: Mapping, spec: FieldMap, loc: Path_, report: _Report) -> None:
    values, where = spec.values, (*loc, "values")
    if spec.type not in PICKLISTS:
        if values is not None:
            report.add(where, "only picklist and multiselect fields have values")
        return
    if values is None:
        report.add(
            (*loc, "type"), f"a {spec.type} field needs `values` (a value set or a value map)"
        )
    elif isinstance(values, str):
        if values not in mapping.value_sets:
            report.add(where, f"unknown value set '{values}'")
    elif not isinstance(values, dict):
        report.add(
            where, "expected a value-set name or a mapping of canonical value -> native values"
        )
    else:
        for canonical, natives in values.items():
            if natives is None:
                continue
            if not isinstance(natives, dict):
                report.add(
                    (*where, canonical), "expected a mapping like {hubspot: NATIVE} (or null)"
                )
                continue
            for side, native in natives.items():
                if side not in SIDES or not isinstance(native, str):
                    report.add((*where, canonical, side), "expected salesforce/hubspot: a string")


def _check_policy(spec: FieldMap, loc: Path_, report: _Report) -> None:
    if spec.policy == "most_restrictive" and spec.type != "boolean":
        report.add((*loc, "policy"), "most_restrictive applies to boolean (do-not-contact) fields")
    if spec.policy == "two_way" and spec.blank_overwrites:
        report.add((*loc, "blank_overwrites"), "two_way never writes a blank; use newest_wins")
    if spec.policy == "never" and spec.direction not in (None, "none"):
        report.add((*loc, "direction"), "a `never` field is read only: direction must be none")
    targets: dict[str, Side] = {"to_salesforce": "salesforce", "to_hubspot": "hubspot"}
    side = targets.get(spec.direction or "")
    if side is not None and getattr(spec, side) is None:
        report.add((*loc, "direction"), f"writes {side} but the field has no {side} name")


def _check_derived(pair: PairSpec, spec: FieldMap, loc: Path_, report: _Report) -> None:
    if spec.type != "boolean":
        report.add((*loc, "type"), "a derived (derive_any_of) field is boolean")
    if spec.salesforce is not None or spec.hubspot is not None:
        report.add(loc, "a derived field has no native names")
    for index, source in enumerate(spec.derive_any_of or []):
        other: Any = pair.fields.get(source)
        if other is None:
            report.add((*loc, "derive_any_of", index), f"unknown field '{source}'")
        elif other.type != "boolean":
            report.add((*loc, "derive_any_of", index), f"field '{source}' is not boolean")
