"""API accounting: every HTTP call counted per endpoint, and the per-run budget cap.

A connector owns one `Meter`. It calls `meter.begin(endpoint)` right before each
HTTP request (so a retry, a timeout or a lost answer still counts: each was a
call the CRM may bill) and `meter.observe(limit, remaining)` with what the CRM's
headers say about its budget. `BudgetGuard` raises BudgetExhausted before the
call that would exceed this run's cap, so the caller can save progress and stop.
"""

from __future__ import annotations

import math
import re
import threading

from integrations.base import ApiUsage
from integrations.errors import BudgetExhausted

# Path segments that are record ids, numeric ids or query locators, folded into one key.
_ID_SEGMENT = re.compile(r"^(\d+|(?=[A-Za-z0-9-]*\d)[A-Za-z0-9-]{12,})$")


def endpoint_key(method: str, path: str, strip_prefix: str = "") -> str:
    """A stable per-endpoint name: `GET /sobjects/Lead/{id}` for every Lead id.

    Args:
        method: the HTTP method.
        path: the URL path (query string ignored).
        strip_prefix: a prefix to drop, e.g. "/services/data/v59.0".

    Returns:
        "METHOD /path" with ids and locators replaced by "{id}".
    """
    path = path.split("?", 1)[0]
    if strip_prefix and path.startswith(strip_prefix):
        path = path[len(strip_prefix) :]
    segments = ["{id}" if _ID_SEGMENT.match(s) else s for s in path.rstrip("/").split("/")]
    return f"{method.upper()} {'/'.join(segments) or '/'}"


class BudgetGuard:
    """This run's cap on calls: fixed, or a share of what the CRM says is left.

    With `share`, the cap is set the first time the CRM reports its remaining
    budget: calls made so far plus `floor(remaining * share)`.
    """

    def __init__(self, limit_calls: int | None = None, share: float | None = None) -> None:
        self.limit_calls = limit_calls
        self.share = share

    def check(self, system: str, used: int) -> None:
        """Raise BudgetExhausted if one more call would pass the cap.

        Args:
            system: the CRM, for the message.
            used: calls made so far in this run.
        """
        if self.limit_calls is not None and used + 1 > self.limit_calls:
            raise BudgetExhausted(
                system,
                None,
                "RUN_BUDGET_CAP",
                f"this run's API budget of {self.limit_calls} calls is used up; "
                "progress is saved, run again later or raise the budget share",
            )

    def observe_remaining(self, used: int, remaining: int) -> None:
        """Fix the cap from the CRM's remaining budget, once, when it is share-based."""
        if self.limit_calls is None and self.share is not None:
            self.limit_calls = used + math.floor(remaining * self.share)


class Meter:
    """Counts calls into an ApiUsage and enforces a BudgetGuard; safe across threads."""

    def __init__(
        self, system: str, usage: ApiUsage | None = None, guard: BudgetGuard | None = None
    ) -> None:
        self.system = system
        self.usage = usage if usage is not None else ApiUsage()
        self.guard = guard if guard is not None else BudgetGuard()
        self._lock = threading.Lock()

    def begin(self, endpoint: str) -> None:
        """Count one call about to be made; BudgetExhausted (uncounted) if over the cap."""
        with self._lock:
            self.guard.check(self.system, self.usage.total)
            self.usage.calls[endpoint] += 1

    def observe(self, limit: int | None, remaining: int | None) -> None:
        """Record the CRM's own view of its budget from an answer's headers."""
        with self._lock:
            if limit is not None:
                self.usage.limit = limit
            if remaining is not None:
                self.usage.remaining = remaining
                self.guard.observe_remaining(self.usage.total, remaining)

    def snapshot(self) -> ApiUsage:
        """A copy of the usage so far."""
        with self._lock:
            copy = ApiUsage(limit=self.usage.limit, remaining=self.usage.remaining)
            copy.calls.update(self.usage.calls)
            return copy
