"""Salesforce record ids: 15-character base-62 ids with the 3-character case checksum."""

from __future__ import annotations

import itertools
import threading

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# The pod/instance part of ids this sandbox mints; seeded ids use their own.
_MINT_SEGMENT = "8Z"


def to18(id15: str) -> str:
    """The 18-character, case-insensitive-safe form of a 15-character id."""
    suffix = ""
    for chunk in range(3):
        part = id15[chunk * 5 : chunk * 5 + 5]
        bits = sum(1 << i for i, char in enumerate(part) if "A" <= char <= "Z")
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def normalize(value: str) -> str:
    """An id as 18 characters (15-character ids are accepted wherever ids are)."""
    return to18(value) if len(value) == 15 else value


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rest = divmod(number, 62)
        digits.append(_BASE62[rest])
    return "".join(reversed(digits))


class IdMinter:
    """Mints fresh 18-character ids per key prefix, thread-safely."""

    def __init__(self, start: int = 1) -> None:
        self._counter = itertools.count(start)
        self._lock = threading.Lock()

    def mint(self, key_prefix: str) -> str:
        """A new id for an object with this key prefix."""
        with self._lock:
            number = next(self._counter)
        return to18(key_prefix + _MINT_SEGMENT + _base62(number, 10))


def looks_like_id(value: object) -> bool:
    """True for a 15- or 18-character alphanumeric string."""
    return isinstance(value, str) and len(value) in (15, 18) and value.isalnum()
