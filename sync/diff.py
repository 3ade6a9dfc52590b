"""Three-way field diff of a linked pair: each side's canonical values against the last-synced base.

Public API: `diff_pair(rules, salesforce, hubspot, base, times) -> PairDiff`;
`FieldRule`, `FieldChange`, `Times`, `PairDiff`.

A field changed on a side only when its value differs from the base, so a record
touched without a field changing (HubSpot analytics moving `lastmodifieddate`)
yields nothing: `base == value` is "unchanged". Values crmops writes become the
new base (the caller stores `PairDiff.base` once the writes succeed), so its own
writes never come back as changes. A field missing from a side's values is not
carried by that object (or failed conversion) and is left alone. Bases may be in
their JSON form (`sync.convert.to_json_value`): each rule's `canon` reads them back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sync.mapping import Side

OTHER: dict[Side, Side] = {"salesforce": "hubspot", "hubspot": "salesforce"}
MISSING: Any = object()  # no base (first sync) / no agreed value yet


def _same_value(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How one canonical field is synced: policy, the sides it may be written to, blanks."""

    name: str
    policy: str
    writable: frozenset[Side] = frozenset({"salesforce", "hubspot"})
    blank_overwrites: bool = False
    canon: Callable[[Any], Any] = _same_value

    @property
    def blanks_win(self) -> bool:
        """Whether a blank may overwrite a value (never under `two_way`)."""
        return self.blank_overwrites and self.policy != "two_way"

    def restricted(self, allowed: frozenset[Side]) -> FieldRule:
        """The rule with writes limited to `allowed` sides too."""
        return replace(self, writable=self.writable & allowed)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One value to write: `new` replaces `old` on `target_system`, decided by `policy`."""

    field: str
    target_system: Side
    old: Any
    new: Any
    policy: str
    reason: str
    conflict: bool = False


@dataclass(frozen=True)
class Times:
    """When each side last changed: the record's modified time, and per field where known."""

    salesforce: datetime | None = None
    hubspot: datetime | None = None
    salesforce_fields: Mapping[str, datetime] = field(default_factory=dict)
    hubspot_fields: Mapping[str, datetime] = field(default_factory=dict)

    def of(self, side: Side, name: str) -> datetime | None:
        """A field's change time on a side, else the record's modified time."""
        per_field = self.salesforce_fields if side == "salesforce" else self.hubspot_fields
        return per_field.get(name) or (self.salesforce if side == "salesforce" else self.hubspot)


@dataclass
class PairDiff:
    """The changes for a pair, the base to store once they are written, and what was held back."""

    changes: list[FieldChange] = field(default_factory=list)
    base: dict[str, Any] = field(default_factory=dict)
    held: list[tuple[str, str]] = field(default_factory=list)

    def for_side(self, side: Side) -> dict[str, Any]:
        """The canonical values to write to one side, by field."""
        return {c.field: c.new for c in self.changes if c.target_system == side}


def _blank(value: Any) -> bool:
    return value is None or value == ""


def _newest(rule: FieldRule, values: Mapping[Side, Any], times: Times) -> tuple[Side, str]:
    """The side changed last (ties and unknown times go to Salesforce, the system of record)."""
    sf, hs = times.of("salesforce", rule.name), times.of("hubspot", rule.name)
    if hs is not None and (sf is None or hs > sf):
        return "hubspot", f"hubspot is newer ({hs.isoformat()})"
    return (
        "salesforce",
        "salesforce is newer" if hs is not None else "salesforce (no newer change time)",
    )


def _resolve(rule: FieldRule, values: Mapping[Side, Any], times: Times) -> tuple[Any, str]:
    """Both sides changed (or first sync): the policy picks the value."""
    sf, hs = values["salesforce"], values["hubspot"]
    policy = rule.policy
    if policy == "most_restrictive":
        return _restrictive(sf, hs), "most restrictive: do-not-contact on either side holds"
    if policy in ("salesforce_wins", "hubspot_wins"):
        side: Side = "salesforce" if policy == "salesforce_wins" else "hubspot"
        return values[side], f"{side} wins"
    if policy == "prefer_non_blank" and _blank(sf) != _blank(hs):
        return (hs, "hubspot has a value") if _blank(sf) else (sf, "salesforce has a value")
    side, why = _newest(rule, values, times)
    return values[side], why


def _restrictive(sf: Any, hs: Any) -> Any:
    if sf is True or hs is True:
        return True
    return False if (sf is False or hs is False) else None


def _winner(
    rule: FieldRule, values: Mapping[Side, Any], changed: tuple[Side, ...], times: Times
) -> tuple[Any, str, bool]:
    """The value both sides should hold, why, and whether both sides changed it."""
    if rule.policy == "most_restrictive":
        value, why = _resolve(rule, values, times)
        return value, why, len(changed) == 2
    if len(changed) == 1:
        side = changed[0]
        owner = {"salesforce_wins": "salesforce", "hubspot_wins": "hubspot"}.get(rule.policy)
        if OTHER[side] not in rule.writable and owner == OTHER[side]:
            return values[owner], f"{owner} owns this field; {side} edit is overwritten", False
        return values[side], f"changed on {side} only", False
    value, why = _resolve(rule, values, times)
    if _blank(value) and not rule.blanks_win:
        other = values["hubspot"] if values["salesforce"] is value else values["salesforce"]
        if not _blank(other):
            value, why = other, f"{why}; a blank never overwrites a value"
    return value, why, True


def _readable(rule: FieldRule, base: Any) -> Any:
    """The base normalised, or MISSING when it no longer reads (e.g. a value map changed)."""
    if base is MISSING:
        return MISSING
    try:
        return rule.canon(base)
    except ValueError:
        return MISSING


def diff_field(
    rule: FieldRule,
    salesforce: Any,
    hubspot: Any,
    base: Any = MISSING,
    times: Times | None = None,
) -> tuple[list[FieldChange], Any, str | None]:
    """Decide one field: (changes, new base or MISSING while the sides differ, held reason)."""
    times = times or Times()
    sf, hs = rule.canon(salesforce), rule.canon(hubspot)
    if sf == hs:
        return [], sf, None
    if rule.policy == "never":
        return [], MISSING, None
    values: dict[Side, Any] = {"salesforce": sf, "hubspot": hs}
    base = _readable(rule, base)
    if base is MISSING:
        changed: tuple[Side, ...] = ("salesforce", "hubspot")
        first = True
    else:
        changed = tuple(s for s in ("salesforce", "hubspot") if values[s] != base)  # type: ignore[misc]
        first = False
    value, why, both = _winner(rule, values, changed, times)
    if first:
        why = f"first sync; {why}"
    elif both:
        why = f"changed on both; {why}"
    return _writes(rule, values, value, why, both and not first)


def _writes(
    rule: FieldRule, values: Mapping[Side, Any], value: Any, why: str, conflict: bool
) -> tuple[list[FieldChange], Any, str | None]:
    changes: list[FieldChange] = []
    held: str | None = None
    for target in ("salesforce", "hubspot"):
        current = values[target]  # type: ignore[index]
        if current == value:
            continue
        if target not in rule.writable:
            held = f"{target} is not written ({why})"
        elif _blank(value) and not _blank(current) and not rule.blanks_win:
            held = f"a blank never overwrites {target}'s value ({why})"
        else:
            changes.append(
                FieldChange(rule.name, target, current, value, rule.policy, why, conflict)
            )  # type: ignore[arg-type]
            continue
    return changes, (MISSING if held else value), held


def diff_pair(
    rules: Mapping[str, FieldRule],
    salesforce: Mapping[str, Any],
    hubspot: Mapping[str, Any],
    base: Mapping[str, Any] | None = None,
    times: Times | None = None,
) -> PairDiff:
    """Decide every field both sides carry.

    Args:
        rules: field rules for this pair of objects (`CompiledMapping.rules`).
        salesforce: canonical values of the Salesforce record (as the converters give them).
        hubspot: canonical values of the HubSpot record.
        base: last-synced canonical values; None (or a missing field) means first sync.
        times: record modified times and per-field change times, for `newest_wins`.

    Returns:
        The changes, the base to store after writing them, and fields held back (with why).
    """
    result = PairDiff()
    for name, rule in rules.items():
        sf, hs = salesforce.get(name, MISSING), hubspot.get(name, MISSING)
        if sf is MISSING or hs is MISSING:
            continue
        if sf == hs:  # the common case, decided without normalising
            result.base[name] = sf
            continue
        old = base.get(name, MISSING) if base is not None else MISSING
        changes, new_base, held = diff_field(rule, sf, hs, old, times)
        result.changes.extend(changes)
        if new_base is not MISSING:
            result.base[name] = new_base
        if held:
            result.held.append((name, held))
    return result
