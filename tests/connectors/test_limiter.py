"""The rate limiter, with a fake clock: window accounting, search rate, concurrency, pauses."""

from __future__ import annotations

import math
import threading

import pytest

from integrations.limiter import CallKind, RateLimiter


class FakeClock:
    """A clock that only moves when slept on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(clock: FakeClock, **kwargs: object) -> RateLimiter:
    options: dict[str, object] = {"margin": 0, "concurrency": 100}
    options.update(kwargs)
    return RateLimiter(10, 10.0, clock=clock, sleep=clock.sleep, **options)  # type: ignore[arg-type]


def test_window_budget_then_wait_until_first_call_ages_out() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    for _ in range(10):
        assert rl.try_acquire() == 0
        clock.now += 0.1
        rl.release()
    # Ten calls ended between 1000.1 and 1001.0; the first frees its slot at 1010.1.
    assert rl.try_acquire() == pytest.approx(9.1)
    clock.now = 1010.1
    assert rl.try_acquire() == 0


def test_margin_is_kept_in_reserve() -> None:
    clock = FakeClock()
    rl = RateLimiter(10, 10.0, margin=3, concurrency=100, clock=clock, sleep=clock.sleep)
    taken = 0
    while rl.try_acquire() == 0:
        taken += 1
        rl.release()
    assert taken == 7


def test_calls_in_flight_count_until_they_end() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    for _ in range(10):
        assert rl.try_acquire() == 0
    # All ten still running: only a release (then ten seconds) frees a slot.
    assert math.isinf(rl.try_acquire())
    clock.now += 30  # a slow call still counts while it runs
    assert math.isinf(rl.try_acquire())
    rl.release()
    assert rl.try_acquire() == 10.0


def test_concurrency_cap() -> None:
    clock = FakeClock()
    rl = limiter(clock, concurrency=2)
    assert rl.try_acquire() == 0
    assert rl.try_acquire() == 0
    assert math.isinf(rl.try_acquire())
    rl.release()
    assert rl.try_acquire() == 0


def test_search_rate_is_separate_and_also_spends_the_window() -> None:
    clock = FakeClock()
    rl = limiter(clock, search_per_second=2)
    for _ in range(2):
        assert rl.try_acquire(CallKind.SEARCH) == 0
        rl.release(CallKind.SEARCH)
    assert rl.try_acquire(CallKind.SEARCH) == 1.0
    # Plain calls are not held by the search rate, but searches used the window.
    for _ in range(8):
        assert rl.try_acquire() == 0
        rl.release()
    assert rl.try_acquire() > 0


def test_acquire_sleeps_exactly_until_a_slot_frees() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    for _ in range(25):
        with rl.slot():
            pass
    # Calls 11-20 waited for the first ten to age out, 21-25 for the next ten.
    assert clock.slept == [10.0, 10.0]
    assert clock.now == 1020.0


def test_no_window_ever_holds_more_than_the_budget() -> None:
    clock = FakeClock()
    rl = limiter(clock, search_per_second=3)
    starts: list[float] = []
    for i in range(200):
        kind = CallKind.SEARCH if i % 3 == 0 else CallKind.CALL
        with rl.slot(kind):
            starts.append(clock.now)
            clock.now += 0.05 * (i % 4)  # varying latency
    for t in starts:
        assert sum(1 for s in starts if t <= s < t + 10.0) <= 10


def test_pause_holds_every_call() -> None:
    clock = FakeClock()
    rl = limiter(clock)
    rl.pause(2.5)
    assert rl.try_acquire() == 2.5
    clock.now += 2.5
    assert rl.try_acquire() == 0


def test_observe_slows_down_when_the_server_window_is_nearly_full() -> None:
    clock = FakeClock()
    rl = RateLimiter(190, 10.0, margin=3, clock=clock, sleep=clock.sleep)
    rl.observe(remaining=100, limit=190)
    assert rl.try_acquire() == 0
    rl.release()
    rl.observe(remaining=0, limit=190)
    assert rl.try_acquire() > 0


def test_threads_waiting_on_concurrency_are_woken_by_release() -> None:
    rl = RateLimiter(1000, 10.0, margin=0, concurrency=2)
    running = 0
    peak = 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, peak
        with rl.slot():
            with lock:
                running += 1
                peak = max(peak, running)
            with lock:
                running -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert all(not t.is_alive() for t in threads)
    assert 1 <= peak <= 2
