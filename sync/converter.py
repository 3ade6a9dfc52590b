"""One object's converter: native record <-> canonical values, built by `sync.compiled`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sync.convert import ConversionError
from sync.mapping import Side

ASSOCIATION_PREFIX = "associations."


@dataclass(frozen=True, slots=True)
class ConversionProblem:
    """A value that could not be converted; the field is left out of the result."""

    field: str
    system: str
    object: str
    value: Any
    message: str


@dataclass(frozen=True, slots=True)
class FieldIO:
    """How one canonical field is read from and written to one object's native fields."""

    name: str
    natives: tuple[str, ...]
    read: Callable[[Mapping[str, Any]], Any]
    write: Callable[[Any], dict[str, Any]]
    writable: bool
    value_reader: Callable[[Any], Any] | None = None  # single-field fast path
    choices: Mapping[str, tuple[str, ...]] | None = None  # native field -> values written


@dataclass(frozen=True)
class ObjectConverter:
    """Converters for one object (or variant, e.g. PersonAccount) of one side of a pair."""

    pair: str
    system: Side
    variant: str
    api_object: str
    fields: tuple[FieldIO, ...]
    derived: tuple[tuple[str, tuple[str, ...]], ...]
    when: Mapping[str, Any]
    read_only_when: Mapping[str, Any]
    create_defaults: Mapping[str, Any]
    read_fields: tuple[str, ...]
    identity: Mapping[str, str] = field(default_factory=dict)  # role -> native name

    @cached_property
    def carried(self) -> frozenset[str]:
        """Canonical fields this object carries."""
        return frozenset(f.name for f in self.fields)

    @cached_property
    def writable(self) -> frozenset[str]:
        """Canonical fields that may be written to this object."""
        return frozenset(f.name for f in self.fields if f.writable)

    @cached_property
    def associations(self) -> frozenset[str]:
        """Native names that are associations, not properties."""
        return frozenset(
            n for f in self.fields for n in f.natives if n.startswith(ASSOCIATION_PREFIX)
        )

    def field_times(self, native_times: Mapping[str, datetime]) -> dict[str, datetime]:
        """Per-field change times (for `newest_wins`) from per-native-field ones.

        Args:
            native_times: native field -> when it last changed (HubSpot property history,
                Salesforce field history where tracked).

        Returns:
            canonical field -> the latest change time of its native fields.
        """
        times: dict[str, datetime] = {}
        for io in self.fields:
            known = [native_times[n] for n in io.natives if n in native_times]
            if known:
                times[io.name] = max(known)
        return times

    def selects(self, native: Mapping[str, Any]) -> bool:
        """Whether a native record of `api_object` belongs to this variant."""
        return _matches(native, self.when)

    def is_read_only(self, native: Mapping[str, Any]) -> bool:
        """A record crmops reads but never writes (e.g. a converted lead)."""
        return bool(self.read_only_when) and _matches(native, self.read_only_when)

    def to_canonical(
        self, native: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[ConversionProblem]]:
        """Canonical values of a native record; fields that fail are left out and reported."""
        values: dict[str, Any] = {}
        problems: list[ConversionProblem] = []
        get = native.get
        for io in self.fields:
            try:
                reader = io.value_reader
                values[io.name] = reader(get(io.natives[0])) if reader else io.read(native)
            except ConversionError as exc:
                raw = [native.get(n) for n in io.natives]
                problems.append(
                    ConversionProblem(
                        io.name,
                        self.system,
                        self.variant,
                        raw[0] if len(raw) == 1 else raw,
                        str(exc),
                    )
                )
        for name, sources in self.derived:
            flags = [values.get(s) for s in sources]
            values[name] = any(flags)
        return values, problems

    def to_native(
        self, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[ConversionProblem]]:
        """Native field values for canonical ones (unknown and read-only fields are refused)."""
        native: dict[str, Any] = {}
        problems: list[ConversionProblem] = []
        by_name = {io.name: io for io in self.fields}
        for name, value in values.items():
            io = by_name.get(name)
            if io is None or not io.writable:
                reason = "not carried by" if io is None else "read only on"
                problems.append(
                    ConversionProblem(
                        name, self.system, self.variant, value, f"{reason} {self.variant}"
                    )
                )
                continue
            try:
                native.update(io.write(value))
            except ConversionError as exc:
                problems.append(ConversionProblem(name, self.system, self.variant, value, str(exc)))
        return native, problems


def _matches(native: Mapping[str, Any], when: Mapping[str, Any]) -> bool:
    for key, want in when.items():
        have = native.get(key)
        if isinstance(want, bool):
            have = bool(have) if not isinstance(have, str) else have.lower() == "true"
        if have != want:
            return False
    return True
