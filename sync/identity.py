"""Identity matching: which Salesforce record is which HubSpot record, never by guess.

Public API: `Candidate`, `candidate_of(converter, record_id, native, canonical)`,
`match_records(kind, salesforce, hubspot, links, ...) -> MatchResult`, `Match`,
`LinkMove`, `ReviewItem`, `Merge`, `ids_to_look_up(candidates)`.

Order, first hit wins (sync.md): a link in the store; the other system's id stored on
the record; normalised email (persons); normalised domain, then name (companies).
Several Salesforce records on one key are a `duplicate` review item; fuzzy look-alikes
are `fuzzy` review items; neither is linked, nor offered for creation. Converted leads
and merges move a link to the surviving record (the stable id is kept). Everything is
dict lookups over the batch: O(n), fuzzy candidates compared within small blocks only.

A stable id linked in one system only (`one_sided`: a rules run gave each side of a
pair its own id before any sync matched them) does not make its record taken: it is
matched in the usual order like an unlinked record, and a match of two one-sided
records is a merge of their stable ids, which apply carries out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Literal

from sync.candidates import (
    Candidate,
    How,
    LinkMove,
    Match,
    MatchResult,
    Merge,
    ReviewItem,
    candidate_of,
    ids_to_look_up,
)
from sync.fuzzy import fuzzy_pairs, name_key
from sync.mapping import Side

__all__ = [
    "Candidate",
    "LinkMove",
    "Match",
    "MatchResult",
    "Merge",
    "ReviewItem",
    "candidate_of",
    "ids_to_look_up",
    "match_records",
]

KEYS: dict[str, list[tuple[How, Callable[[Candidate], str | None]]]] = {
    "person": [("email", lambda c: c.email)],
    "company": [("domain", lambda c: c.domain), ("name", lambda c: name_key(c.name, company=True))],
}
_HELD = "\0held"  # claimed by a review item: neither linked nor offered for creation


class _State:
    """The links as they stand during matching: the store's, plus this run's new ones."""

    def __init__(self, links: Mapping[tuple[str, str], str], one_sided: Collection[str]) -> None:
        self.links = links
        self.one_sided = one_sided
        self.new: dict[tuple[str, str], str] = {}

    def of(self, system: str, record_id: str) -> str | None:
        """The stable id a record is linked to (None: not linked, newly matched or held)."""
        key = (system, record_id)
        if key in self.new:
            return self.new[key] if self.new[key] not in ("", _HELD) else None
        return self.links.get(key)

    def taken(self, system: str, record_id: str) -> bool:
        """Linked in both systems, matched in this run, or held for review.

        A record that holds a one-sided stable id (linked in the store, or by a link
        move this run: a converted lead's id now on its Contact) is not taken.
        """
        key = (system, record_id)
        stable = self.new[key] if key in self.new else self.links.get(key)
        if stable in ("", _HELD):
            return True
        return stable is not None and stable not in self.one_sided

    def claim(self, system: str, record_id: str, stable: str = "") -> None:
        """Mark a record matched (`stable` "" for a new link) or held (`_HELD`)."""
        self.new[(system, record_id)] = stable


def match_records(
    kind: str,
    salesforce: Iterable[Candidate],
    hubspot: Iterable[Candidate],
    links: Mapping[tuple[str, str], str],
    *,
    merges: Iterable[Merge] = (),
    fuzzy_threshold: int = 90,
    one_sided: Collection[str] = (),
) -> MatchResult:
    """Match one batch of records of one kind (person, company, deal).

    Args:
        kind: the pair; `person` matches by email, `company` by domain then name.
        salesforce: Salesforce candidates (Leads, Contacts, Person Accounts for persons).
        hubspot: HubSpot candidates.
        links: (system, record id) -> stable id from the state store, covering at least
            `ids_to_look_up` of the candidates.
        merges: merges seen by the delete sweep, besides those the records carry.
        fuzzy_threshold: similarity (0-100) at which look-alikes are listed for review.
        one_sided: stable ids in `links` linked in one system only; their records are
            matched like unlinked ones.

    Returns:
        The result; it never links a record by guess.
    """
    state, result = _State(links, frozenset(one_sided)), MatchResult()
    sf = {c.id: c for c in salesforce}
    hs = {c.id: c for c in hubspot}
    _move_links(_moves(sf, hs, merges), sf, hs, state, result)
    _collect_linked(sf, hs, state, result)
    _match_stored_ids(sf, hs, state, result)
    for how, key in KEYS.get(kind, ()):
        _match_by_key(how, key, sf, hs, state, result)
    free_sf = [c for c in sf.values() if not state.taken("salesforce", c.id)]
    free_hs = [c for c in hs.values() if not state.taken("hubspot", c.id)]
    if kind in ("person", "company"):
        _list_fuzzy(free_sf, free_hs, fuzzy_threshold, state, result)
    held = {(s, i) for item in result.review for s, i in item.records}
    result.unmatched = {
        "salesforce": [c for c in free_sf if ("salesforce", c.id) not in held],
        "hubspot": [c for c in free_hs if ("hubspot", c.id) not in held],
    }
    return result


def _list_fuzzy(
    sf: list[Candidate], hs: list[Candidate], threshold: int, state: _State, result: MatchResult
) -> None:
    """Look-alikes become `fuzzy` review items; both records are held, never linked."""
    for a, b, score in fuzzy_pairs(sf, hs, threshold):
        result.review.append(
            ReviewItem(
                "fuzzy",
                f"similar name ({score:.0f}%)",
                (("salesforce", a.id), ("hubspot", b.id)),
                {"salesforce": a.name, "hubspot": b.name, "score": round(score, 1)},
            )
        )
        state.claim("salesforce", a.id, _HELD)
        state.claim("hubspot", b.id, _HELD)


_Move = tuple[Side, str, str, Literal["converted", "merged"]]


def _moves(
    sf: dict[str, Candidate], hs: dict[str, Candidate], merges: Iterable[Merge]
) -> list[_Move]:
    """(system, from, to, reason) for converted leads and merged records.

    Converted leads and merge losers leave the batch: they are read only.
    """
    moves: list[_Move] = []
    for c in list(sf.values()):
        target = c.converted_to or c.merged_into
        if target:
            moves.append(("salesforce", c.id, target, "converted" if c.converted_to else "merged"))
            del sf[c.id]
    for c in hs.values():
        moves.extend(("hubspot", loser, c.id, "merged") for loser in c.merged_ids if loser != c.id)
    moves.extend((m.system, m.loser, m.winner, "merged") for m in merges)
    return moves


def _move_links(
    moves: list[_Move],
    sf: dict[str, Candidate],
    hs: dict[str, Candidate],
    state: _State,
    result: MatchResult,
) -> None:
    """Hand each loser's link to the surviving record (the stable id is kept)."""
    for system, loser, winner, reason in moves:
        (sf if system == "salesforce" else hs).pop(loser, None)
        stable = state.of(system, loser)
        if stable is None:
            continue
        current = state.of(system, winner)
        if current is not None and current != stable:
            records = ((system, loser), (system, winner))
            detail = {"stable_ids": [stable, current]}
            why = f"{reason} into a record linked elsewhere"
            result.review.append(ReviewItem("conflict", why, records, detail))
            continue
        if current is None:
            result.moves.append(LinkMove(stable, system, loser, winner, reason))
            state.claim(system, winner, stable)
        state.claim(system, loser, _HELD)


def _collect_linked(
    sf: Mapping[str, Candidate], hs: Mapping[str, Candidate], state: _State, result: MatchResult
) -> None:
    for side, records in (("salesforce", sf), ("hubspot", hs)):
        for c in records.values():
            stable = state.of(side, c.id)
            if stable:
                result.linked.setdefault(stable, {})[side] = c.id


def _match_stored_ids(
    sf: Mapping[str, Candidate], hs: Mapping[str, Candidate], state: _State, result: MatchResult
) -> None:
    """A record carrying the other system's id is linked to that record, unless it is taken."""
    for side, records in (("salesforce", sf), ("hubspot", hs)):
        other: Side = "hubspot" if side == "salesforce" else "salesforce"
        for c in records.values():
            if not c.other_id or state.taken(side, c.id):
                continue
            if state.taken(other, c.other_id):
                result.review.append(
                    ReviewItem(
                        "conflict",
                        f"stored {other} id is linked to another record",
                        ((side, c.id), (other, c.other_id)),
                    )
                )
                state.claim(side, c.id, _HELD)
                continue
            pair = (c.id, c.other_id) if side == "salesforce" else (c.other_id, c.id)
            other_rec = (hs if side == "salesforce" else sf).get(c.other_id)
            objects = (
                (c.object, other_rec.object if other_rec else "")
                if side == "salesforce"
                else (other_rec.object if other_rec else "", c.object)
            )
            result.matches.append(
                Match(pair[0], pair[1], "stored_id", None, objects[0], objects[1])
            )
            state.claim(side, c.id)
            state.claim(other, c.other_id)


def _match_by_key(
    how: How,
    key: Any,
    sf: Mapping[str, Candidate],
    hs: Mapping[str, Candidate],
    state: _State,
    result: MatchResult,
) -> None:
    """Match on one normalised key; a key shared by more than one record per side goes to review."""
    groups: dict[str, dict[str, list[Candidate]]] = defaultdict(
        lambda: {"salesforce": [], "hubspot": []}
    )
    for side, records in (("salesforce", sf), ("hubspot", hs)):
        for c in records.values():
            value = key(c)
            if value:
                groups[value][side].append(c)
    for value, group in groups.items():
        free = {s: [c for c in group[s] if not state.taken(s, c.id)] for s in group}
        if not free["salesforce"] and not free["hubspot"]:
            continue
        if (
            len(group["salesforce"]) == 1 == len(group["hubspot"])
            and free["salesforce"]
            and free["hubspot"]
        ):
            a, b = free["salesforce"][0], free["hubspot"][0]
            result.matches.append(Match(a.id, b.id, how, None, a.object, b.object))
            state.claim("salesforce", a.id)
            state.claim("hubspot", b.id)
        elif len(group["salesforce"]) + len(group["hubspot"]) > 1:
            _duplicate(how, value, group, state, result)


def _duplicate(
    how: str, value: str, group: Mapping[str, list[Candidate]], state: _State, result: MatchResult
) -> None:
    """Several records on one key (or a free one beside a linked one): a person decides."""
    records = tuple((c.system, c.id) for s in ("salesforce", "hubspot") for c in group[s])
    side = "salesforce" if len(group["salesforce"]) >= len(group["hubspot"]) else "hubspot"
    reason = (
        f"{len(group[side])} {side} record(s) share {how} {value!r} with a matched or linked record"
    )
    if len(group[side]) > 1:
        reason = f"{len(group[side])} {side} records share {how} {value!r}"
    result.review.append(ReviewItem("duplicate", reason, records, {how: value}))
    for system, record_id in records:
        if not state.taken(system, record_id):
            state.claim(system, record_id, _HELD)
