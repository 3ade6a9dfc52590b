"""HubSpot's rate limits: a rolling 10-second window, a search rate and a daily budget."""

from __future__ import annotations

import threading
from collections import deque

from sandbox.clock import SandboxClock
from sandbox.http import Response
from sandbox.hubspot.constants import RATE_WINDOW_SECONDS
from sandbox.hubspot.errors import correlation_id
from sandbox.hubspot.timefmt import to_ms
from sandbox.options import SandboxOptions

POLICY_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",
    "DAILY": "You have reached your daily limit.",
}


GROUP_NAMES = {
    "TEN_SECONDLY_ROLLING": "publicapi:private-app-api-calls-ten-secondly",
    "SECONDLY": "publicapi:crm-search-secondly",
    "DAILY": "publicapi:private-app-api-calls-daily",
}


def rate_limited(policy: str, portal_id: int, retry_after: int) -> Response:
    """HubSpot's 429 for a policy (TEN_SECONDLY_ROLLING, SECONDLY or DAILY), with Retry-After."""
    body = {
        "status": "error",
        "message": POLICY_MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": correlation_id(),
        "policyName": policy,
        "groupName": f"{GROUP_NAMES[policy]}:{portal_id}",
    }
    return Response(429, body, {"Retry-After": str(max(1, retry_after))})


class RateLimiter:
    """Counts calls on the sandbox clock; `admit` answers a 429 when a limit is reached."""

    def __init__(self, options: SandboxOptions, clock: SandboxClock) -> None:
        self.options = options
        self.clock = clock
        self._lock = threading.Lock()
        self._window: deque[int] = deque()
        self._search: deque[int] = deque()
        self._day = ""
        self._daily = 0

    def _trim(self, now: int) -> None:
        while self._window and self._window[0] <= now - RATE_WINDOW_SECONDS * 1000:
            self._window.popleft()
        while self._search and self._search[0] <= now - 1000:
            self._search.popleft()
        day = self.clock.now().date().isoformat()
        if day != self._day:
            self._day, self._daily = day, 0

    def admit(self, search: bool) -> Response | None:
        """Count one call, or refuse it with a 429 (refused calls are not counted)."""
        if not self.options.rate_limits:
            return None
        with self._lock:
            now = to_ms(self.clock.now())
            self._trim(now)
            portal = self.options.portal_id
            if self._daily >= self.options.hubspot_daily_limit:
                return rate_limited("DAILY", portal, self.seconds_to_midnight())
            if search and len(self._search) >= self.options.hubspot_search_per_second:
                return rate_limited("SECONDLY", portal, 1)
            if not search and len(self._window) >= self.options.hubspot_calls_per_10s:
                wait = -(-(self._window[0] + RATE_WINDOW_SECONDS * 1000 - now) // 1000)
                return rate_limited("TEN_SECONDLY_ROLLING", portal, wait)
            self._daily += 1
            (self._search if search else self._window).append(now)
            return None

    def seconds_to_midnight(self) -> int:
        """How long until the daily budget starts again (UTC midnight on the sandbox clock)."""
        now = self.clock.now()
        return 86_400 - (now.hour * 3600 + now.minute * 60 + now.second)

    def headers(self) -> dict[str, str]:
        """The limit headers normal (non-search) answers carry."""
        with self._lock:
            self._trim(to_ms(self.clock.now()))
            o = self.options
            return {
                "X-HubSpot-RateLimit-Max": str(o.hubspot_calls_per_10s),
                "X-HubSpot-RateLimit-Remaining": str(
                    max(0, o.hubspot_calls_per_10s - len(self._window))
                ),
                "X-HubSpot-RateLimit-Interval-Milliseconds": str(RATE_WINDOW_SECONDS * 1000),
                "X-HubSpot-RateLimit-Daily": str(o.hubspot_daily_limit),
                "X-HubSpot-RateLimit-Daily-Remaining": str(
                    max(0, o.hubspot_daily_limit - self._daily)
                ),
            }

    def reset(self) -> None:
        """Forget all counted calls."""
        with self._lock:
            self._window.clear()
            self._search.clear()
            self._daily = 0
