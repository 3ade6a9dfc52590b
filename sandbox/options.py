"""How a sandbox is started: data size and seed, storage, limits, faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class FaultOptions:
    """Faults on demand, all off by default; `seed` makes a failing test repeat.

    Fractions are of counted calls (0.0-1.0). `*_after_calls` counts from when the
    fault is set. Systems read the ones that apply to them.
    """

    seed: int = 0
    latency_ms: float = 0.0
    rate_limit_fraction: float = 0.0
    server_error_fraction: float = 0.0
    hang_fraction: float = 0.0
    hang_seconds: float = 35.0
    lost_answer_fraction: float = 0.0
    lock_row_fraction: float = 0.0
    duplicates_detected_fraction: float = 0.0
    batch_reject_fraction: float = 0.0
    session_expires_after_calls: int | None = None
    daily_budget_after_calls: int | None = None
    concurrent_edit_fraction: float = 0.0
    analytics_touch_per_call: int = 0

    def update(self, values: dict[str, Any]) -> None:
        """Set the named faults; unknown names raise ValueError."""
        for key, value in values.items():
            if not hasattr(self, key):
                raise ValueError(f"unknown fault: {key}")
            setattr(self, key, value)


@dataclass
class SandboxOptions:
    """Everything `sandbox serve` and the test fixtures can choose."""

    seed: int = 7
    size: int = 60
    db_path: Path | None = None
    rate_limits: bool = True
    search_lag_seconds: float = 10.0
    hubspot_calls_per_10s: int = 190
    hubspot_search_per_second: int = 5
    hubspot_daily_limit: int = 1_000_000
    salesforce_daily_limit: int = 1_000_000
    # More long-running Salesforce calls than this in flight (with latency on) -> 403.
    salesforce_concurrent_long_limit: int = 25
    duplicate_rule_action: str = "allow"
    portal_id: int = 4_242_424
    org_id: str = "00D5e000000SbXaEAK"
    faults: FaultOptions = field(default_factory=FaultOptions)
