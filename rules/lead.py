"""The canonical records the rules read: a lead and an opportunity, built from plain mappings.

`CanonicalLead.from_mapping(data, extra_types)` checks every field and raises
`RecordError` naming each bad field. Fields beyond sop-rules.md section 1 go in
`extra` (declared in the rules file's `extra_fields`, so the mapping layer can
fill them and criteria can read them). Datetimes are stored in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar

from rules.timing import to_utc


class RecordError(ValueError):
    """A record that cannot be evaluated; `problems` is a list of (field, message)."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems))


def _as_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise ValueError("expected a string")


def _as_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError("expected an integer")


def _as_float(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("expected a number")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        raise ValueError("expected a number") from None


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise ValueError("expected true or false")


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("expected an ISO 8601 datetime with offset") from None
    else:
        raise ValueError("expected an ISO 8601 datetime with offset")
    try:
        return to_utc(moment)
    except ValueError:
        raise ValueError("datetime has no UTC offset (add e.g. -04:00 or Z)") from None


def _as_answer(value: Any) -> str | bool:
    """A BANT answer: a string or a boolean."""
    if isinstance(value, str | bool):
        return value
    raise ValueError("expected a string or true/false")


PARSERS = {
    "str": _as_str,
    "int": _as_int,
    "float": _as_float,
    "bool": _as_bool,
    "datetime": _as_datetime,
    "answer": _as_answer,
}


def parse_fields(
    data: Mapping[str, Any], types: Mapping[str, str], extra_types: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Check and convert a record's values; returns (known fields, extra fields).

    Raises:
        RecordError: one or more fields are wrong; every one is named.
    """
    known: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    raw_extra = data.get("extra") or {}
    if not isinstance(raw_extra, Mapping):
        problems.append(("extra", "expected an object"))
        raw_extra = {}
    items = [(k, v, False) for k, v in data.items() if k != "extra"]
    items += [(k, v, True) for k, v in raw_extra.items()]
    for name, value, nested in items:
        kind = types.get(name) if not nested else None
        target = known if kind else extra
        kind = kind or extra_types.get(name)
        if kind is None and not nested:
            problems.append((name, "unknown field (declare it in the rules file's extra_fields)"))
            continue
        if value is None or kind is None:
            target[name] = value
            continue
        try:
            target[name] = PARSERS[kind](value)
        except ValueError as exc:
            problems.append((name, str(exc)))
    if problems:
        raise RecordError(problems)
    return known, extra


class _Canonical:
    """Shared construction for canonical records."""

    __slots__ = ()
    FIELD_TYPES: ClassVar[dict[str, str]]
    REQUIRED: ClassVar[tuple[str, ...]] = ("id",)

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], extra_types: Mapping[str, str] | None = None
    ) -> Any:
        """Build the record from a plain mapping (e.g. parsed JSON or a mapping layer's output).

        Args:
            data: field name -> value; unknown fields must be declared in `extra_types`;
                an `extra` key may hold further fields as-is.
            extra_types: declared extra field name -> type name (str, int, float, bool, datetime).

        Raises:
            RecordError: naming every bad or missing field.
        """
        if not isinstance(data, Mapping):
            raise RecordError([("(record)", "expected an object")])
        missing = [(n, "required field is missing") for n in cls.REQUIRED if not data.get(n)]
        try:
            known, extra = parse_fields(data, cls.FIELD_TYPES, extra_types or {})
        except RecordError as exc:
            raise RecordError(missing + exc.problems) from None
        if missing:
            raise RecordError(missing)
        return cls(**known, extra=extra)  # type: ignore[call-arg]


@dataclass(slots=True)
class CanonicalLead(_Canonical):
    """A lead as the rules see it (sop-rules.md section 1); unknown values are None."""

    id: str
    crm: str | None = None
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: str | None = None
    title: str | None = None
    phone: str | None = None
    employees: int | None = None
    industry: str | None = None
    lead_source: str | None = None
    service_type: str | None = None
    website_visits: int | None = None
    content_downloads: int | None = None
    email_opens: int | None = None
    email_clicks: int | None = None
    form_submissions: int | None = None
    demo_requested_at: datetime | None = None
    pricing_inquiry_at: datetime | None = None
    budget: str | bool | None = None
    authority: str | bool | None = None
    need: str | bool | None = None
    timeline: str | bool | None = None
    opted_out: bool | None = None
    stage: str | None = None
    created_at: datetime | None = None
    first_outreach_at: datetime | None = None
    last_outreach_at: datetime | None = None
    last_inbound_at: datetime | None = None
    stage_changed_at: datetime | None = None
    appointment_at: datetime | None = None
    appointment_completed_at: datetime | None = None
    proposal_sent_at: datetime | None = None
    contact_verified_at: datetime | None = None
    has_won_deal: bool | None = None
    owner_id: str | None = None
    manager_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class CanonicalOpportunity(_Canonical):
    """An opportunity / deal as the rules see it."""

    id: str
    crm: str | None = None
    name: str | None = None
    stage: str | None = None
    stage_changed_at: datetime | None = None
    created_at: datetime | None = None
    amount: float | None = None
    budget: str | bool | None = None
    authority: str | bool | None = None
    need: str | bool | None = None
    timeline: str | bool | None = None
    needs_assessment_completed_at: datetime | None = None
    proposal_sent_at: datetime | None = None
    contract_sent_at: datetime | None = None
    contract_end_at: datetime | None = None
    owner_id: str | None = None
    manager_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _types_of(cls: type) -> dict[str, str]:
    names = {
        "str | None": "str",
        "int | None": "int",
        "float | None": "float",
        "bool | None": "bool",
        "datetime | None": "datetime",
        "str | bool | None": "answer",
        "str": "str",
    }
    return {f.name: names[str(f.type)] for f in fields(cls) if f.name != "extra"}


CanonicalLead.FIELD_TYPES = _types_of(CanonicalLead)
CanonicalOpportunity.FIELD_TYPES = _types_of(CanonicalOpportunity)
RECORD_TYPES: dict[str, type[_Canonical]] = {
    "lead": CanonicalLead,
    "opportunity": CanonicalOpportunity,
}
