"""Look-alike search: each record in one pair at most, the best not yet paired, first of equals."""

from __future__ import annotations

import random
from typing import Any

from rapidfuzz import fuzz

from sync.candidates import Candidate
from sync.fuzzy import fuzzy_pairs

FIRST = ["Jon", "John", "Jonathan", "Joan", "Jan", "Ann", "Anne", "Anna"]
LAST = ["Smith", "Smyth", "Smithe", "Smithers", "Smart", "Small"]


def person(system: Any, record_id: str, name: str, company: str = "") -> Candidate:
    return Candidate(system=system, object="person", id=record_id, name=name, company=company)


def searched_one_by_one(
    salesforce: list[Candidate], hubspot: list[Candidate], threshold: int
) -> list[tuple[str, str, float]]:
    """The rule stated plainly: per Salesforce record in order, the HubSpot record of its
    block with the highest score (the first of equals) among those not paired yet."""
    from sync.fuzzy import _block, _label

    used: set[str] = set()
    found = []
    for a in salesforce:
        label = _label(a)
        best: tuple[float, Candidate] | None = None
        for b in hubspot:
            other = _label(b)
            if b.id in used or not label or not other or _block(other) != _block(label):
                continue
            score = fuzz.token_sort_ratio(label, other)
            if score >= threshold and (best is None or score > best[0]):
                best = (score, b)
        if best is not None:
            used.add(best[1].id)
            found.append((a.id, best[1].id, best[0]))
    return found


def test_a_paired_record_is_passed_over_for_the_next_best() -> None:
    hubspot = [person("hubspot", "h1", "Jon Smith"), person("hubspot", "h2", "John Smith")]
    salesforce = [person("salesforce", "s1", "Jon Smith"), person("salesforce", "s2", "Jon Smith")]
    pairs = [(a.id, b.id) for a, b, _ in fuzzy_pairs(salesforce, hubspot, 80)]
    assert pairs == [("s1", "h1"), ("s2", "h2")]


def test_pairs_are_those_of_a_search_one_record_at_a_time() -> None:
    rng = random.Random(11)
    for _ in range(20):
        salesforce = [
            person("salesforce", f"s{i}", f"{rng.choice(FIRST)} {rng.choice(LAST)}")
            for i in range(40)
        ]
        hubspot = [
            person("hubspot", f"h{i}", f"{rng.choice(FIRST)} {rng.choice(LAST)}") for i in range(40)
        ]
        got = [(a.id, b.id, score) for a, b, score in fuzzy_pairs(salesforce, hubspot, 80)]
        assert got == searched_one_by_one(salesforce, hubspot, 80)
        assert got  # the names are close enough that some pairs are found


def test_a_records_block_is_that_of_its_whole_label() -> None:
    from sync.fuzzy import _block, _label, block_of

    names = ["", "Jon", "Jon Smith", "  Jon   van Smith ", "J. R. R. Tolkien"]
    companies = ["", "Osprey Inc", "LLC", "Smith & Sons"]
    for name in names:
        for company in companies:
            c = person("salesforce", "s", name, company)
            label = _label(c)
            assert block_of(c) == (_block(label) if label else None), (name, company)
