"""The limiter follows the limit the portal advertises: fake clock, then real SDK on the sandbox."""

from __future__ import annotations

import math
import threading
from typing import Any

from integrations.hubspot import HubSpotConnector
from integrations.limiter import RateLimiter
from tests.connectors.hubspot_support import admin, bulk, connector, record_statuses
from tests.connectors.test_limiter import FakeClock


def filled(rl: RateLimiter) -> int:
    """Take and release slots until the window is full; how many it admitted."""
    taken = 0
    while rl.try_acquire() == 0:
        taken += 1
        rl.release()
    return taken


# --- the limiter alone, on a fake clock ---------------------------------------------


def test_adopting_a_lower_limit_admits_fewer_calls_keeping_the_margin() -> None:
    clock = FakeClock()
    rl = RateLimiter(190, margin=3, concurrency=100, clock=clock, sleep=clock.sleep)
    assert rl.budget == 187
    rl.adopt(100, 10.0)
    assert rl.budget == 97
    assert filled(rl) == 97


def test_adopting_a_higher_limit_admits_more_calls_at_once() -> None:
    clock = FakeClock()
    rl = RateLimiter(100, margin=3, concurrency=100, clock=clock, sleep=clock.sleep)
    assert filled(rl) == 97
    rl.adopt(250, 10.0)
    # The 97 calls already counted stay counted; the rest of the new budget is free now.
    assert filled(rl) == 247 - 97
    assert rl.budget == 247


def test_missing_or_nonsense_values_change_nothing() -> None:
    clock = FakeClock()
    rl = RateLimiter(190, 10.0, margin=3, clock=clock, sleep=clock.sleep)
    rl.adopt(None, None)
    rl.adopt(0, 0.0)
    rl.adopt(-5, -1.0)
    assert (rl.budget, rl.window_seconds) == (187, 10.0)


def test_adopted_interval_sets_when_calls_age_out() -> None:
    clock = FakeClock()
    rl = RateLimiter(10, 10.0, margin=0, concurrency=100, clock=clock, sleep=clock.sleep)
    rl.adopt(5, 1.0)
    assert rl.window_seconds == 1.0
    for _ in range(12):
        with rl.slot():
            pass
    # Five calls per one-second window: calls 6-10 and 11-12 each waited one second.
    assert clock.slept == [1.0, 1.0]


def test_a_tiny_advertised_limit_still_admits_one_call() -> None:
    clock = FakeClock()
    rl = RateLimiter(190, margin=3, concurrency=100, clock=clock, sleep=clock.sleep)
    rl.adopt(2)
    assert rl.budget == 1
    assert filled(rl) == 1


def test_a_raised_limit_wakes_a_call_waiting_for_a_release() -> None:
    rl = RateLimiter(2, 10.0, margin=0, concurrency=100)
    assert rl.try_acquire() == 0 and rl.try_acquire() == 0
    assert math.isinf(rl.try_acquire())  # both slots in flight: only a release would help
    done = threading.Event()

    def third() -> None:
        with rl.slot():
            done.set()

    waiter = threading.Thread(target=third, daemon=True)
    waiter.start()
    rl.adopt(10)  # nothing is released: only the raised budget can let it through
    waiter.join(timeout=10)
    assert done.is_set() and not waiter.is_alive()


# --- the real SDK against the sandbox ------------------------------------------------


class SharedTime:
    """The limiter's fake clock; its sleeps move the sandbox clock the same amount."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.now = 1000.0
        self.slept = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        self.sb.hubspot.clock.advance(seconds)


def paced(sb: Any, **settings: Any) -> tuple[HubSpotConnector, SharedTime, list[int]]:
    """A connector whose limiter waits on the shared fake time; statuses the sandbox answered."""
    hs = connector(sb, **settings)
    time = SharedTime(sb)
    hs.limiter._clock = time
    hs.limiter._sleep = time.sleep
    statuses = record_statuses(sb)
    return hs, time, statuses


def burst(hs: HubSpotConnector, record_id: int, calls: int) -> None:
    for _ in range(calls):
        assert [r.id for r in hs.read_by_ids("contacts", [str(record_id)], ["email"])] == [
            str(record_id)
        ]


def test_a_portal_advertising_less_than_configured_is_never_overrun(make_sandbox: Any) -> None:
    """Sandbox at 100 per 10 s, crmops configured at 190: no 429, paced at 100 less the margin."""
    sb = make_sandbox(size=0, hubspot_calls_per_10s=100)
    first = bulk(sb, "contacts", 1, age_seconds=3600, email="one{n}@example.com")
    hs, time, statuses = paced(sb, calls_per_10s=190)
    assert hs.limiter.budget == 187
    burst(hs, first, 150)
    assert statuses.count(429) == 0 and len(statuses) == 150
    assert hs.limiter.budget == 100 - hs.limiter.margin
    assert hs.limiter.window_seconds == 10.0
    assert time.slept > 0  # it had to wait for the window, where 190 would not have


def test_a_portal_advertising_more_than_configured_raises_the_pace(make_sandbox: Any) -> None:
    """Sandbox at 250 per 10 s, crmops configured at 100: the budget rises and nothing waits."""
    sb = make_sandbox(size=0, hubspot_calls_per_10s=250)
    first = bulk(sb, "contacts", 1, age_seconds=3600, email="one{n}@example.com")
    hs, time, statuses = paced(sb, calls_per_10s=100)
    burst(hs, first, 200)
    assert hs.limiter.budget == 250 - hs.limiter.margin
    assert statuses.count(429) == 0 and len(statuses) == 200
    assert time.slept == 0  # 97 calls a window would have waited after the 97th


def test_a_limit_lowered_mid_run_is_followed(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0)
    first = bulk(sb, "contacts", 1, age_seconds=3600, email="one{n}@example.com")
    hs, _, statuses = paced(sb, calls_per_10s=190)
    burst(hs, first, 20)
    assert hs.limiter.budget == 187
    admin(sb, "/options", {"hubspot_calls_per_10s": 100})
    burst(hs, first, 130)
    assert hs.limiter.budget == 97
    assert statuses.count(429) == 0 and statuses.count(200) == 151  # and the admin call


def test_answers_without_limit_headers_keep_the_configured_pace(make_sandbox: Any) -> None:
    """Rate limits off (no headers at all), then searches (which never carry them)."""
    sb = make_sandbox(size=0, rate_limits=False, hubspot_calls_per_10s=50)
    first = bulk(sb, "contacts", 1, age_seconds=3600, email="one{n}@example.com")
    hs, _, _ = paced(sb, calls_per_10s=150)
    burst(hs, first, 3)
    assert hs.limiter.budget == 147
    admin(sb, "/options", {"rate_limits": True})
    assert [r.id for r in hs.find("contacts", "email", ["one0@example.com"], ["email"])] == [
        str(first)
    ]
    assert hs.limiter.budget == 147
    burst(hs, first, 1)  # the first answer that carries the headers
    assert hs.limiter.budget == 47
