"""Name normalisation and fuzzy look-alike search for the review queue (never for linking)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from rapidfuzz import fuzz, process

_NOT_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
COMPANY_SUFFIXES = frozenset(
    {"inc", "llc", "ltd", "co", "corp", "corporation", "company", "lp", "llp", "pllc"}
)
# Look-alikes are only compared within a block (same initial, same first two letters of
# the second word: "Jon Smith" and "John Smyth" meet, "Jon Smith" and "Ann Smith" do not),
# which keeps the search near O(n) on large unmatched sets; blocks above this are skipped.
MAX_BLOCK = 2000


def name_key(text: str | None, company: bool = False) -> str:
    """Lower-case words without punctuation; company names also drop legal suffixes (Inc, LLC)."""
    words = _SPACES.sub(" ", _NOT_WORD.sub(" ", (text or "").lower())).split()
    if company:
        words = [w for w in words if w not in COMPANY_SUFFIXES]
    return " ".join(words)


def _label(candidate: Any) -> str:
    person = name_key(candidate.name)
    return f"{person} {name_key(candidate.company, company=True)}".strip()


def block_of(candidate: Any) -> str | None:
    """The block a record's look-alikes are searched in (None: no name to compare)."""
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
    blocks: dict[str, list[tuple[str, Any]]] = defaultdict(list)
    for c in hubspot:
        label = _label(c)
        if label:
            blocks[_block(label)].append((label, c))
    used: set[str] = set()
    for c in salesforce:
        label = _label(c)
        choices = blocks.get(_block(label), []) if label else []
        if not choices or len(choices) > MAX_BLOCK:
            continue
        best = _best(label, choices, threshold, used)
        if best is not None:
            used.add(best[0].id)
            yield c, best[0], best[1]


def _best(
    label: str, choices: Iterable[tuple[str, Any]], threshold: int, used: set[str]
) -> tuple[Any, float] | None:
    pool = [(text, c) for text, c in choices if c.id not in used]
    found = process.extractOne(
        label, [t for t, _ in pool], scorer=fuzz.token_sort_ratio, score_cutoff=threshold
    )
    if found is None:
        return None
    _, score, index = found
    return pool[index][1], float(score)
