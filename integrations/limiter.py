"""Client-side pacing: a rolling call window, a lower search rate, and bounded concurrency.

HubSpot counts calls per portal in a rolling window whose size depends on the
portal's tier (100 per 10 s on Free/Starter, 190 on Pro/Enterprise, more with the
API limit increase) and search calls at about 5 per second. The configured budget
is only the starting pace: once the portal advertises its limit (`adopt`, fed from
the `X-HubSpot-RateLimit-Max` and `-Interval-Milliseconds` headers) that limit,
less the margin, is the pace, up or down. A call is counted here from the moment
it starts until one window after it ends: the server saw it arrive somewhere in
between, so however long the call took, no server window ever holds more calls
than the budget. Several calls may be in flight at once (up to `concurrency`),
so network latency does not leave the budget idle.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum

Clock = Callable[[], float]
Sleep = Callable[[float], None]

DEFAULT_WINDOW_SECONDS = 10.0
SEARCH_WINDOW_SECONDS = 1.0
# Calls kept in reserve below the published limit, for other clients of the portal.
DEFAULT_MARGIN = 3


class CallKind(StrEnum):
    """Which budgets a call spends: every call the window, searches also the search rate."""

    CALL = "call"
    SEARCH = "search"


@dataclass
class _Window:
    """One rolling budget: calls in flight plus calls that ended less than `seconds` ago."""

    budget: int
    seconds: float
    in_flight: int = 0
    ended: deque[float] = field(default_factory=deque)

    def prune(self, now: float) -> None:
        while self.ended and self.ended[0] <= now - self.seconds:
            self.ended.popleft()

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0 if it fits now, inf if only a release helps)."""
        self.prune(now)
        excess = self.in_flight + len(self.ended) - self.budget
        if excess < 0:
            return 0.0
        if excess >= len(self.ended):
            return math.inf
        return self.ended[excess] + self.seconds - now


class RateLimiter:
    """Paces calls under a rolling window, a search rate and a concurrency cap; thread-safe.

    Use `with limiter.slot(CallKind.SEARCH): ...` around each HTTP call. `pause`
    holds every new call back (after a 429), `adopt` takes the limit the server
    advertises as the window's budget (less the margin), `observe` reads the
    server's remaining-calls header so other clients of the same portal are respected.
    """

    def __init__(
        self,
        calls_per_window: int,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        *,
        margin: int = DEFAULT_MARGIN,
        search_per_second: int | None = None,
        concurrency: int = 4,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        self.calls = _Window(max(1, calls_per_window - margin), window_seconds)
        self.searches = (
            _Window(max(1, search_per_second), SEARCH_WINDOW_SECONDS) if search_per_second else None
        )
        self.concurrency = max(1, concurrency)
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._paused_until = -math.inf
        self._cond = threading.Condition()

    @property
    def budget(self) -> int:
        """Calls the rolling window admits: the configured or advertised limit less the margin."""
        with self._cond:
            return self.calls.budget

    @property
    def window_seconds(self) -> float:
        """The rolling window's length in seconds (configured, or as advertised)."""
        with self._cond:
            return self.calls.seconds

    def _windows(self, kind: CallKind) -> list[_Window]:
        if kind is CallKind.SEARCH and self.searches is not None:
            return [self.calls, self.searches]
        return [self.calls]

    def try_acquire(self, kind: CallKind = CallKind.CALL) -> float:
        """Take a slot now and return 0, or return the seconds to wait (inf: until a release).

        Args:
            kind: which budgets the call spends.

        Returns:
            0.0 when the slot was taken (the caller must `release` it), else a wait.
        """
        with self._cond:
            return self._try(kind)

    def _try(self, kind: CallKind) -> float:
        if self.calls.in_flight >= self.concurrency:
            return math.inf
        now = self._clock()
        wait = max([self._paused_until - now] + [w.wait(now) for w in self._windows(kind)])
        if wait > 0:
            return wait
        for window in self._windows(kind):
            window.in_flight += 1
        return 0.0

    def acquire(self, kind: CallKind = CallKind.CALL) -> None:
        """Block until a slot is free and take it."""
        while True:
            with self._cond:
                wait = self._try(kind)
                if wait == 0:
                    return
                if math.isinf(wait):
                    # Only a release can help: it notifies.
                    self._cond.wait()
                    continue
            self._sleep(wait)

    def release(self, kind: CallKind = CallKind.CALL) -> None:
        """Mark a call taken with `acquire`/`try_acquire` as ended (it keeps counting a window)."""
        with self._cond:
            now = self._clock()
            for window in self._windows(kind):
                window.in_flight -= 1
                window.ended.append(now)
            self._cond.notify_all()

    @contextmanager
    def slot(self, kind: CallKind = CallKind.CALL) -> Iterator[None]:
        """Hold one slot for the duration of a call."""
        self.acquire(kind)
        try:
            yield
        finally:
            self.release(kind)

    def pause(self, seconds: float) -> None:
        """Hold every new call back for `seconds` (the server asked us to slow down)."""
        with self._cond:
            self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def adopt(self, limit: int | None, interval_seconds: float | None = None) -> None:
        """Pace at the limit the server advertises from now on, less the margin (up or down).

        A missing or non-positive value changes nothing: answers without limit
        headers (searches, a server with limits off) leave the current pace alone.
        Calls already counted stay counted; a lower budget simply makes new calls wait.

        Args:
            limit: calls the server admits per window (`X-HubSpot-RateLimit-Max`).
            interval_seconds: the window's length (`X-HubSpot-RateLimit-Interval-Milliseconds`
                over 1000).
        """
        with self._cond:
            if limit is not None and limit > 0:
                self.calls.budget = max(1, limit - self.margin)
            if interval_seconds is not None and interval_seconds > 0:
                self.calls.seconds = interval_seconds
            # A larger budget may admit calls now waiting for a release.
            self._cond.notify_all()

    def observe(self, remaining: int | None, limit: int | None = None) -> None:
        """Slow down when the server's window has fewer calls left than our margin.

        Another client of the same portal spends the same window; when the server
        says it is nearly full, wait the time a steady rate needs to free a few calls.
        """
        if remaining is None or remaining > self.margin:
            return
        per_call = self.calls.seconds / max(1, limit or self.calls.budget)
        self.pause(per_call * (self.margin + 1 - remaining))
