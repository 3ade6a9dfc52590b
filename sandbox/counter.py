"""Counts every call the sandbox answers, per system and endpoint, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections import Counter


class CallCounter:
    """A thread-safe tally of calls keyed by endpoint name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, endpoint: str) -> None:
        """Count one call."""
        with self._lock:
            self._counts[endpoint] += 1

    def snapshot(self) -> dict[str, int]:
        """The counts so far, by endpoint."""
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        """All calls so far."""
        with self._lock:
            return sum(self._counts.values())

    def reset(self) -> None:
        """Start counting from zero."""
        with self._lock:
            self._counts.clear()
