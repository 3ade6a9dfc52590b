"""Faults on demand: one seeded decider per app, so a failing test repeats exactly."""

from __future__ import annotations

import random
import threading
import time
from enum import StrEnum

from sandbox.options import FaultOptions


class CallFault(StrEnum):
    """What the fault layer does to a whole call instead of answering it normally."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    HANG = "hang"
    SESSION_EXPIRED = "session_expired"
    BUDGET_EXHAUSTED = "budget_exhausted"


class FaultEngine:
    """Draws faults from a seeded RNG; apps ask it at fixed points of each call.

    Order of questions is fixed (`on_call` once per counted call, then `lost_answer`
    for writes, then `record_failure` per record), so the same seed and the same
    calls give the same faults.
    """

    def __init__(self, options: FaultOptions) -> None:
        self.options = options
        self._lock = threading.Lock()
        self._rng = random.Random(options.seed)
        self._calls = 0

    def configure(self, values: dict[str, object]) -> None:
        """Change faults while running (the admin endpoint); resets the RNG and call count."""
        with self._lock:
            self.options.update(values)
            self._rng = random.Random(self.options.seed)
            self._calls = 0

    def _roll(self, fraction: float) -> bool:
        return fraction > 0 and self._rng.random() < fraction

    def on_call(self) -> CallFault | None:
        """Sleep the configured latency, then decide the fate of one call."""
        if self.options.latency_ms:
            time.sleep(self.options.latency_ms / 1000)
        with self._lock:
            self._calls += 1
            o = self.options
            if (
                o.session_expires_after_calls is not None
                and self._calls > o.session_expires_after_calls
            ):
                return CallFault.SESSION_EXPIRED
            if o.daily_budget_after_calls is not None and self._calls > o.daily_budget_after_calls:
                return CallFault.BUDGET_EXHAUSTED
            if self._roll(o.rate_limit_fraction):
                return CallFault.RATE_LIMIT
            if self._roll(o.server_error_fraction):
                return CallFault.SERVER_ERROR
            if self._roll(o.hang_fraction):
                return CallFault.HANG
            return None

    def renew_session(self) -> None:
        """A fresh login: the expiry count starts again."""
        with self._lock:
            self._calls = 0

    def lost_answer(self) -> bool:
        """True when a write should be applied and its answer dropped."""
        with self._lock:
            return self._roll(self.options.lost_answer_fraction)

    def record_failure(self) -> str | None:
        """A record-level failure code for one record of a batch, or None."""
        with self._lock:
            if self._roll(self.options.lock_row_fraction):
                return "UNABLE_TO_LOCK_ROW"
            if self._roll(self.options.duplicates_detected_fraction):
                return "DUPLICATES_DETECTED"
            return None

    def batch_rejected(self) -> bool:
        """True when a whole batch should be rejected."""
        with self._lock:
            return self._roll(self.options.batch_reject_fraction)

    def concurrent_edit(self) -> bool:
        """True when "someone else" should edit a record between a read and a write."""
        with self._lock:
            return self._roll(self.options.concurrent_edit_fraction)

    def hang(self) -> None:
        """Hold the call past any sane client timeout."""
        time.sleep(self.options.hang_seconds)
