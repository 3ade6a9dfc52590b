"""Name normalisation and fuzzy look-alike search for the review queue (never for linking)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from rapidfuzz import fuzz, process

_NOT_WORD = re.compile(r"[^\w\s]+")
COMPANY_SUFFIXES = frozenset(
    {"inc", "llc", "ltd", "co", "corp", "corporation", "company", "lp", "llp", "pllc"}
)
# Look-alikes are only compared within a block (same initial, same first two letters of
# the second word: "Jon Smith" and "John Smyth" meet, "Jon Smith" and "Ann Smith" do not),
# which keeps the search near O(n) on large unmatched sets; blocks above this are skipped.
MAX_BLOCK = 2000


def name_key(text: str | None, company: bool = False) -> str:
    """Lower-case words without punctuation; company names also drop legal suffixes (Inc, LLC)."""
    words = _words(text)
    if company:
        words = [w for w in words if w not in COMPANY_SUFFIXES]
    return " ".join(words)


def _words(text: str | None) -> list[str]:
    """Lower-case words, punctuation taken for a space."""
    return _NOT_WORD.sub(" ", (text or "").lower()).split()


def _label(candidate: Any) -> str:
    person = name_key(candidate.name)
    return f"{person} {name_key(candidate.company, company=True)}".strip()


def block_of(candidate: Any) -> str | None:
    """The block a record's look-alikes are searched in (None: no name to compare).

    The block takes the label's first two words: a name of two words or more decides
    it alone, and the company's name is normalised only when it does not.
    """
    words = _words(candidate.name)
    if len(words) > 1:
        return f"{words[0][:1]} {words[1][:2]}"
    label = _label(candidate)
    return _block(label) if label else None


def _block(label: str) -> str:
    words = label.split()
    return f"{words[0][:1]} {words[1][:2]}" if len(words) > 1 else label[:3]


def fuzzy_pairs(
    salesforce: Sequence[Any], hubspot: Sequence[Any], threshold: int
) -> Iterator[tuple[Any, Any, float]]:
    """Pairs of look-alike records (name + company similarity >= threshold), best match per record.

    Each record appears in at most one pair, so a person reviews each once.
    """
    blocks: dict[str, tuple[list[str], list[Any]]] = defaultdict(lambda: ([], []))
    for c in hubspot:
        label = _label(c)
        if label:
            texts, records = blocks[_block(label)]
            texts.append(label)
            records.append(c)
    used: set[str] = set()
    for c in salesforce:
        label = _label(c)
        block = blocks.get(_block(label)) if label else None
        if not block or len(block[0]) > MAX_BLOCK:
            continue
        best = _best(label, block, threshold, used)
        if best is not None:
            used.add(best[0].id)
            yield c, best[0], best[1]


def _best(
    label: str, block: tuple[list[str], list[Any]], threshold: int, used: set[str]
) -> tuple[Any, float] | None:
    """The most similar record of the block not paired yet (the first of equals).

    The whole block is scored at once; only when its best is already paired are the
    rest looked at, best first, so the answer is the best among those not paired.
    """
    texts, records = block
    found = process.extractOne(label, texts, scorer=fuzz.token_sort_ratio, score_cutoff=threshold)
    if found is None:
        return None
    _, score, index = found
    if records[index].id not in used:
        return records[index], float(score)
    ranked = process.extract(
        label, texts, scorer=fuzz.token_sort_ratio, score_cutoff=threshold, limit=None
    )
    for _, score, index in sorted(ranked, key=lambda r: (-r[1], r[2])):
        if records[index].id not in used:
            return records[index], float(score)
    return None
