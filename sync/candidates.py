"""What identity matching reads and says: candidates, matches, link moves, review items."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sync.convert import domain_of
from sync.mapping import Side

How = Literal["link", "stored_id", "email", "domain", "name"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """What identity matching needs of one record, normalised."""

    system: Side
    object: str
    id: str
    email: str | None = None
    other_id: str | None = None
    name: str = ""
    company: str = ""
    domain: str | None = None
    converted_to: str | None = None
    merged_into: str | None = None
    merged_ids: tuple[str, ...] = ()


def candidate_row(c: Candidate) -> tuple[Any, ...]:
    """A candidate's fields in order, as plain values (`Candidate(*row)` makes it again)."""
    return (
        c.system, c.object, c.id, c.email, c.other_id, c.name, c.company, c.domain,
        c.converted_to, c.merged_into, c.merged_ids,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Merge:
    """A record merged away (`loser`) into `winner` on one side."""

    system: Side
    loser: str
    winner: str


@dataclass(frozen=True, slots=True)
class Match:
    """A new link between a Salesforce and a HubSpot record, and what matched them."""

    salesforce_id: str
    hubspot_id: str
    how: How
    stable_id: str | None = None
    salesforce_object: str = ""
    hubspot_object: str = ""


@dataclass(frozen=True, slots=True)
class LinkMove:
    """A link that moves to another record on the same side (conversion or merge)."""

    stable_id: str
    system: Side
    from_id: str
    to_id: str
    reason: Literal["converted", "merged"]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """Something a person must decide: `duplicate`, `fuzzy` or `conflict`, with its records."""

    kind: Literal["duplicate", "fuzzy", "conflict"]
    reason: str
    records: tuple[tuple[str, str], ...]  # (system, record id)
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class MatchResult:
    """New links, link moves, review items, records already linked, and create candidates."""

    matches: list[Match] = field(default_factory=list)
    moves: list[LinkMove] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    linked: dict[str, dict[str, str]] = field(default_factory=dict)  # stable id -> side -> id
    unmatched: dict[str, list[Candidate]] = field(default_factory=dict)


def _first(native: Mapping[str, Any], name: str | None) -> Any:
    return native.get(name) if name else None


def candidate_of(
    conv: Any, record_id: str, native: Mapping[str, Any], canonical: Mapping[str, Any]
) -> Candidate:
    """A candidate from a native record and its canonical values (`ObjectConverter` `conv`)."""
    ident = conv.identity
    person = conv.pair == "person"
    first, last = canonical.get("first_name") or "", canonical.get("last_name") or ""
    merged = _first(native, ident.get("merged_ids"))
    return Candidate(
        system=conv.system,
        object=conv.variant,
        id=record_id,
        email=canonical.get("email"),
        other_id=(str(_first(native, ident.get("other_id")) or "").strip() or None),
        name=f"{first} {last}".strip() if person else (canonical.get("name") or ""),
        company=(canonical.get("company") or "") if person else "",
        domain=canonical.get("domain") or domain_of(_first(native, ident.get("domain"))),
        converted_to=_first(native, ident.get("converted_to")) or None,
        merged_into=_first(native, ident.get("merged_into")) or None,
        merged_ids=tuple(p for p in str(merged or "").split(";") if p),
    )


def ids_to_look_up(candidates: Iterable[Candidate]) -> set[tuple[Side, str]]:
    """Every (system, id) whose link `match_records` may need: the records and the ids they name."""
    return {node for c in candidates for node in looked_up(c)}


def looked_up(c: Candidate) -> list[tuple[Side, str]]:
    """The (system, id) whose links matching may need for one record: itself and ids it names."""
    found = [(c.system, c.id)]
    if c.other_id:
        found.append(("hubspot" if c.system == "salesforce" else "salesforce", c.other_id))
    for named in (c.converted_to, c.merged_into, *c.merged_ids):
        if named:
            found.append((c.system, named))
    return found
