"""The sandbox's own clock: real time plus an offset tests can advance without sleeping."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class SandboxClock:
    """Real UTC time shifted by an offset; `advance` moves the sandbox into the future."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The sandbox's current time, timezone-aware UTC."""
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> None:
        """Move the clock forward (search lag, rate windows and budgets all follow it)."""
        with self._lock:
            self._offset += timedelta(seconds=seconds)
