"""`watch`: the incremental rules run in a loop, stopping only between passes.

A pass is one `run_rules` over the rules cursors; owners and stage ids are cached in
the context, so with nothing changed a pass costs one read per object per CRM. A
stop request (Ctrl-C, SIGTERM: the caller sets `stop`) is honoured after the pass in
flight has settled its batches. A CRM that is briefly unreachable skips a pass; one
out of budget or refusing the credentials ends the loop (the error is raised).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from integrations.errors import RetryableError
from sync.rules_report import RulesRunResult
from sync.rulesjob import RulesContext, run_rules

UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")


def parse_interval(text: str) -> float:
    """Seconds in `2m`, `30s`, `1h`, `500ms` or a bare number of seconds.

    Raises:
        ValueError: the text is no interval.
    """
    found = INTERVAL.match(text)
    if found is None:
        raise ValueError(f"'{text}' is not an interval (e.g. 2m, 30s, 1h, 500ms)")
    return float(found.group(1)) * UNITS[found.group(2) or "s"]


def utc_now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def watch(
    context: RulesContext,
    crm: str,
    every: float,
    stop: threading.Event,
    on_pass: Callable[[int, RulesRunResult | Exception], None],
    *,
    max_passes: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    """Run the incremental rules job every `every` seconds until stopped; returns passes run.

    Args:
        context: connectors, store and rules (its caches carry over between passes).
        crm: salesforce, hubspot or both.
        every: seconds from the end of one pass to the start of the next.
        stop: set it to stop after the pass in flight.
        on_pass: told each pass's number and result (or the transient error that skipped it).
        max_passes: stop after this many passes (None: until stopped).
        clock: the time each pass evaluates at.

    Raises:
        integrations.errors.CrmError: a CRM out of budget or refusing access (not transient).
    """
    passes = 0
    while not stop.is_set():
        passes += 1
        try:
            on_pass(passes, run_rules(context, crm, False, clock()))
        except RetryableError as transient:
            on_pass(passes, transient)
        if max_passes is not None and passes >= max_passes:
            break
        stop.wait(every)
    return passes
