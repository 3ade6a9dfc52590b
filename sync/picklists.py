"""Picklists and multi-selects: canonical values, each side's spelling, unmapped values refused."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sync.convert import Codec, ConversionError, Reader, Writer, hubspot_writer, is_blank, read_text
from sync.mapping import SIDES, Side

_SEPARATORS = re.compile(r"[\s_\-]+")


def value_key(text: str) -> str:
    """Picklist key: case-insensitive, `_`, `-` and spaces alike (REAL_ESTATE = Real Estate)."""
    return _SEPARATORS.sub(" ", text).strip().lower()


def styled(value: str, style: str) -> str:
    """A canonical picklist value spelled in a side's style."""
    if style == "upper_snake":
        return _SEPARATORS.sub("_", value.strip()).upper()
    if style == "lower_snake":
        return _SEPARATORS.sub("_", value.strip()).lower()
    return value


@dataclass(frozen=True, slots=True)
class ValueTable:
    """A picklist's canonical values and each side's native spelling of them."""

    canonical: tuple[str, ...]
    native: Mapping[Side, Mapping[str, str]]  # side -> canonical -> native

    def reader(self, side: Side) -> Reader:
        """Native -> canonical: exact native value, else by `value_key`; unmapped is an error."""
        exact = {native: canonical for canonical, native in self.native[side].items()}
        loose = {value_key(c): c for c in self.canonical}
        loose.update({value_key(n): c for n, c in exact.items()})

        def read(value: Any) -> str | None:
            text = read_text(value)
            if text is None:
                return None
            found = exact.get(text) or loose.get(value_key(text))
            if found is None:
                raise ConversionError(f"unmapped {side} value {text!r}")
            return found

        return read

    def writer(self, side: Side) -> Writer:
        """Canonical -> native; a value outside the table is an error, not junk written."""
        table = self.native[side]

        def write(value: Any) -> str | None:
            if value is None:
                return None
            native = table.get(value)
            if native is None:
                raise ConversionError(f"no {side} value for {value!r}")
            return native

        return write


def value_table(
    canonical: Iterable[str],
    overrides: Mapping[str, Mapping[str, str] | None],
    styles: Mapping[Side, str],
) -> ValueTable:
    """Build a table from canonical values, per-value overrides and per-side styles."""
    values = tuple(dict.fromkeys([*canonical, *overrides]))
    native: dict[Side, dict[str, str]] = {}
    for side in SIDES:
        style = styles.get(side, "same")
        native[side] = {
            value: (overrides.get(value) or {}).get(side) or styled(value, style)
            for value in values
        }
    return ValueTable(values, native)


def picklist_codec(table: ValueTable, multi: bool) -> Codec:
    """A codec for a picklist, or for a `;` multi-select (canonical: sorted, `;`-joined)."""
    readers: dict[Side, Reader] = {s: table.reader(s) for s in SIDES}
    writers: dict[Side, Writer] = {s: table.writer(s) for s in SIDES}
    if multi:
        readers = {s: _multi_reader(r) for s, r in readers.items()}
        writers = {s: _multi_writer(w) for s, w in writers.items()}
    writers["hubspot"] = hubspot_writer(writers["hubspot"])
    choices = {s: tuple(table.native[s].values()) for s in SIDES}
    return Codec(readers, writers, readers["salesforce"], choices)


def _multi_reader(read_one: Reader) -> Reader:
    def read(value: Any) -> str | None:
        parts = value if isinstance(value, list | tuple) else str(value or "").split(";")
        items = sorted({read_one(p) for p in parts if not is_blank(p)})
        return ";".join(items) or None

    return read


def _multi_writer(write_one: Writer) -> Writer:
    def write(value: Any) -> str | None:
        if value is None:
            return None
        return ";".join(write_one(p) for p in str(value).split(";") if p)

    return write
