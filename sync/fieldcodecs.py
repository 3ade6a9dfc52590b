"""Codecs that need run-time tables: owners (by email), references (by link), stages."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from sync.convert import Codec, ConversionError, is_blank, read_email, read_text
from sync.mapping import Side


class _Refs(Protocol):
    def stable_id(self, system: Side, pair: str, record_id: str) -> str | None: ...
    def record_id(self, system: Side, pair: str, stable_id: str) -> str | None: ...


def owner_codec(owners: Mapping[str, Mapping[str, str]], mode: str) -> Codec:
    """Owners: canonical value is the owner's email (`mode` email) or the native id (`native`).

    An owner id with no email, or an email with no owner on the other side, is an error:
    an unmatched owner is reported, never guessed.
    """
    if mode == "native":
        return Codec(
            {"salesforce": read_text, "hubspot": read_text},
            {"salesforce": read_text, "hubspot": read_text},
            read_text,
        )
    emails = {
        side: {str(k): v.strip().lower() for k, v in owners.get(side, {}).items()}
        for side in ("salesforce", "hubspot")
    }
    ids = {
        side: {email: native for native, email in table.items()} for side, table in emails.items()
    }

    def reader(side: str) -> Callable[[Any], Any]:
        def read(value: Any) -> str | None:
            text = read_text(value)
            if text is None:
                return None
            email = emails[side].get(text)
            if email is None:
                raise ConversionError(f"{side} owner {text!r} matches no owner by email")
            return email

        return read

    def writer(side: str) -> Callable[[Any], Any]:
        def write(value: Any) -> str | None:
            if value is None:
                return None if side == "salesforce" else ""
            native = ids[side].get(value)
            if native is None:
                raise ConversionError(f"no {side} owner with email {value!r}")
            return native

        return write

    return Codec(
        {"salesforce": reader("salesforce"), "hubspot": reader("hubspot")},
        {"salesforce": writer("salesforce"), "hubspot": writer("hubspot")},
        read_email,
    )


def reference_codec(refs: _Refs | None, target: str) -> Codec:
    """References: canonical value is the stable id of the linked target record.

    A native id that is not linked yet cannot be compared: an error, so the field is
    left out of this record's comparison (it resolves once the target is linked).
    """

    def reader(side: Side) -> Callable[[Any], Any]:
        def read(value: Any) -> str | None:
            if is_blank(value):
                return None
            native = str(sorted(value)[0] if isinstance(value, list | tuple) else value)
            stable = refs.stable_id(side, target, native) if refs else None
            if stable is None:
                raise ConversionError(f"{side} {target} {native} is not linked yet")
            return stable

        return read

    def writer(side: Side) -> Callable[[Any], Any]:
        def write(value: Any) -> str | None:
            if value is None:
                return None
            native = refs.record_id(side, target, value) if refs else None
            if native is None:
                raise ConversionError(f"{target} {value} has no {side} record yet")
            return native

        return write

    return Codec(
        {"salesforce": reader("salesforce"), "hubspot": reader("hubspot")},
        {"salesforce": writer("salesforce"), "hubspot": writer("hubspot")},
        read_text,
    )


StageTable = Mapping[str, Mapping[str, str]]  # stage -> {native field: value (or label)}
STAGE_MEMO = 10_000  # distinct native stage values remembered per reader
_UNDECIDED: Any = object()


def stage_reader(
    table: StageTable, natives: tuple[str, ...], ids: Mapping[str, str] | None
) -> Callable[[Mapping[str, Any]], Any]:
    """Native stage fields -> canonical stage: every field must agree, else the first decides.

    `ids` (label -> id) translates HubSpot deal-stage ids back to the labels the table holds.
    """
    labels = {v: k for k, v in ids.items()} if ids is not None else None
    entries = [
        (stage, {f: v for f, v in values.items() if f in natives})
        for stage, values in table.items()
    ]
    first = natives[0]
    decided: dict[tuple[Any, ...], str | ConversionError | None] = {}

    def read(record: Mapping[str, Any]) -> str | None:
        # A few distinct stage texts recur on every record: decide each once.
        key = tuple(record.get(n) for n in natives)
        if not all(v is None or type(v) is str for v in key):
            return decide(record)  # other types (never seen in practice) every time
        answer = decided.get(key, _UNDECIDED)
        if answer is _UNDECIDED:
            try:
                answer = decide(record)
            except ConversionError as error:
                answer = error
            if len(decided) < STAGE_MEMO:
                decided[key] = answer
        if isinstance(answer, ConversionError):
            raise ConversionError(str(answer))
        return answer  # type: ignore[return-value]

    def decide(record: Mapping[str, Any]) -> str | None:
        got = {n: read_text(record.get(n)) for n in natives}
        if labels is not None and got[first] is not None:
            label = labels.get(got[first])  # type: ignore[arg-type]
            if label is None:
                raise ConversionError(f"unknown deal stage id {got[first]!r}")
            got[first] = label
        if got[first] is None:
            return None
        for stage, want in entries:
            if want and all(got.get(f) == v for f, v in want.items()):
                return stage
        for stage, want in entries:
            if want.get(first) == got[first]:
                return stage
        raise ConversionError(f"{first} value {got[first]!r} maps to no canonical stage")

    return read


def stage_writer(
    table: StageTable, natives: tuple[str, ...], ids: Mapping[str, str] | None
) -> Callable[[Any], dict[str, Any]]:
    """Canonical stage -> every native stage field (deal stage labels become ids)."""

    def write(value: Any) -> dict[str, Any]:
        if value is None:
            raise ConversionError("a stage is never cleared")
        values = table.get(value)
        if values is None:
            raise ConversionError(f"stage {value!r} has no native value")
        out = {f: v for f, v in values.items() if f in natives}
        if ids is not None and natives[0] in out:
            label = out[natives[0]]
            if label not in ids:
                raise ConversionError(f"deal stage label {label!r} is not in the pipeline")
            out[natives[0]] = ids[label]
        return out

    return write
