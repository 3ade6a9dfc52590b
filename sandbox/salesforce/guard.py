"""Auth, daily API budget, concurrent long requests and call faults, checked before a handler."""

from __future__ import annotations

import threading
from datetime import timedelta

from sandbox.clock import SandboxClock
from sandbox.faults import CallFault, FaultEngine
from sandbox.http import Request, Response
from sandbox.salesforce.errors import error

INVALID_SESSION = (401, "INVALID_SESSION_ID", "Session expired or invalid")
DAILY_EXCEEDED = (403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
CONCURRENT_EXCEEDED = (
    403,
    "REQUEST_LIMIT_EXCEEDED",
    "ConcurrentPerOrgLongTxn Limit exceeded.",
)
SERVER_UNAVAILABLE = (503, "SERVER_UNAVAILABLE", "Server temporarily unavailable")
BUDGET_WINDOW = timedelta(hours=24)


class Guard:
    """Decides whether a counted call reaches its handler, and keeps the usage numbers."""

    def __init__(
        self, daily_limit: int, concurrent_limit: int, faults: FaultEngine, clock: SandboxClock
    ) -> None:
        self.daily_limit = daily_limit
        self.concurrent_limit = concurrent_limit
        self.faults = faults
        self.clock = clock
        self.sessions: set[str] = set()
        self.used = 0
        self.in_flight = 0
        self._window_start = clock.now()
        self._lock = threading.Lock()

    def authorized(self, request: Request) -> bool:
        """True when the request carries a live session id."""
        header = request.header("Authorization") or ""
        scheme, _, token = header.partition(" ")
        return scheme.lower() in ("bearer", "oauth") and token.strip() in self.sessions

    def admit(self, request: Request) -> Response | None:
        """Run the checks in Salesforce's order; an error Response refuses the call."""
        if not self.authorized(request):
            return error(*INVALID_SESSION)
        with self._lock:
            # Only slow calls count as long transactions, so this needs latency on.
            crowded = (
                bool(self.faults.options.latency_ms) and self.in_flight > self.concurrent_limit
            )
        if crowded:
            return error(*CONCURRENT_EXCEEDED)
        fault = self.faults.on_call()
        if fault == CallFault.HANG:
            self.faults.hang()
        refusal = (
            {
                CallFault.SESSION_EXPIRED: INVALID_SESSION,
                CallFault.BUDGET_EXHAUSTED: DAILY_EXCEEDED,
                CallFault.RATE_LIMIT: CONCURRENT_EXCEEDED,
                CallFault.SERVER_ERROR: SERVER_UNAVAILABLE,
            }.get(fault)
            if fault
            else None
        )
        if refusal is not None:
            return error(*refusal)
        with self._lock:
            self._roll_window()
            if self.used >= self.daily_limit:
                return error(*DAILY_EXCEEDED)
            self.used += 1
        return None

    def _roll_window(self) -> None:
        now = self.clock.now()
        if now - self._window_start >= BUDGET_WINDOW:
            self._window_start, self.used = now, 0

    def enter(self) -> None:
        """A call started (counts toward concurrent long requests)."""
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        """A call finished."""
        with self._lock:
            self.in_flight -= 1

    def usage_header(self) -> dict[str, str]:
        """`Sforce-Limit-Info` as every answer carries it."""
        with self._lock:
            return {"Sforce-Limit-Info": f"api-usage={self.used}/{self.daily_limit}"}

    def reset(self) -> None:
        """Usage back to zero (admin reset)."""
        with self._lock:
            self.used = 0
            self._window_start = self.clock.now()
