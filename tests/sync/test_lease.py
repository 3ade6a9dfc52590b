"""Leases: one live holder at a time, takeover after expiry, renew and release."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from sync.lease import lease_name
from sync.store import StateStore

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TTL = timedelta(minutes=30)
NIGHTLY = lease_name("nightly", "00DAAA", "111")


@pytest.fixture
def url(state_url: str) -> str:
    return state_url


@pytest.fixture
def two(url: str) -> Iterator[tuple[StateStore, StateStore]]:
    """Two processes' worth of stores on one database."""
    first, second = StateStore(url), StateStore(url)
    yield first, second
    first.close()
    second.close()


def test_lease_name_is_per_org_and_portal() -> None:
    assert lease_name("nightly", "00DAAA", "111") != lease_name("nightly", "00DAAA", "222")
    assert lease_name("nightly", None, "111") == "nightly:-:111"


def test_second_holder_is_refused_while_the_lease_lives(two: tuple[StateStore, StateStore]) -> None:
    a, b = two
    assert a.leases.acquire(NIGHTLY, "host-a:1", TTL, now=T0)
    assert not b.leases.acquire(NIGHTLY, "host-b:2", TTL, now=T0 + TTL - timedelta(seconds=1))
    held = b.leases.holder(NIGHTLY)
    assert held is not None and held.holder == "host-a:1" and held.expires == T0 + TTL


def test_expired_lease_is_taken_over(two: tuple[StateStore, StateStore]) -> None:
    a, b = two
    assert a.leases.acquire(NIGHTLY, "host-a:1", TTL, now=T0)
    assert b.leases.acquire(NIGHTLY, "host-b:2", TTL, now=T0 + TTL)
    assert not a.leases.renew(NIGHTLY, "host-a:1", TTL, now=T0 + TTL)
    assert not a.leases.release(NIGHTLY, "host-a:1")  # it no longer holds it
    held = a.leases.holder(NIGHTLY)
    assert held is not None and held.holder == "host-b:2"


def test_other_names_are_independent(two: tuple[StateStore, StateStore]) -> None:
    a, b = two
    assert a.leases.acquire(NIGHTLY, "a", TTL, now=T0)
    assert b.leases.acquire(lease_name("nightly", "00DBBB", "111"), "b", TTL, now=T0)


def test_holder_reacquiring_extends(two: tuple[StateStore, StateStore]) -> None:
    a, _ = two
    assert a.leases.acquire(NIGHTLY, "a", TTL, now=T0)
    assert a.leases.acquire(NIGHTLY, "a", TTL, now=T0 + timedelta(minutes=10))
    held = a.leases.holder(NIGHTLY)
    assert held is not None and held.expires == T0 + timedelta(minutes=40)


def test_renew_keeps_others_out(two: tuple[StateStore, StateStore]) -> None:
    a, b = two
    assert a.leases.acquire(NIGHTLY, "a", TTL, now=T0)
    assert a.leases.renew(NIGHTLY, "a", TTL, now=T0 + timedelta(minutes=20))
    assert not b.leases.acquire(NIGHTLY, "b", TTL, now=T0 + timedelta(minutes=40))
    assert b.leases.acquire(NIGHTLY, "b", TTL, now=T0 + timedelta(minutes=50))


def test_release_lets_the_next_holder_in(two: tuple[StateStore, StateStore]) -> None:
    a, b = two
    assert a.leases.acquire(NIGHTLY, "a", TTL, now=T0)
    assert a.leases.release(NIGHTLY, "a")
    assert a.leases.holder(NIGHTLY) is None
    assert b.leases.acquire(NIGHTLY, "b", TTL, now=T0)


def test_renew_of_a_lease_never_taken_fails(two: tuple[StateStore, StateStore]) -> None:
    a, _ = two
    assert not a.leases.renew(NIGHTLY, "a", TTL, now=T0)


def test_racing_holders_get_exactly_one_lease(url: str) -> None:
    stores = [StateStore(url) for _ in range(6)]
    start = threading.Barrier(len(stores))
    won: list[str] = []

    def contend(n: int) -> None:
        start.wait()
        if stores[n].leases.acquire(NIGHTLY, f"holder-{n}", TTL, now=T0):
            won.append(f"holder-{n}")

    threads = [threading.Thread(target=contend, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = stores[0].leases.holder(NIGHTLY)
    for store in stores:
        store.close()
    assert len(won) == 1
    assert held is not None and held.holder == won[0]


def test_default_holders_differ_within_one_process() -> None:
    from sync.lease import default_holder

    assert default_holder() != default_holder()
