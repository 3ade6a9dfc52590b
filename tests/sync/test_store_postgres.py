"""The state store on a real PostgreSQL server: driver, chunked lookups, leases raced by processes.

The store, migration, lease and retention tests beside this file run on both
backends through the `state_url` fixture; these are the checks only PostgreSQL needs.
"""

from __future__ import annotations

import multiprocessing
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, inspect, select

from sync import schema as t
from sync.database import CHUNK
from sync.lease import lease_name
from sync.migrations import VERSION_KEY
from sync.schema import SCHEMA_VERSION
from sync.store import StateStore
from sync.store_types import BaseValue, Link
from tests.sync.postgres import StoreDatabase

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TTL = timedelta(minutes=30)
FRESH = lease_name("nightly", "00DAAA", "111")
EXPIRED = lease_name("nightly", "00DBBB", "222")
CONTENDERS = 3
JOIN_SECONDS = 120  # a generous bound on a loaded machine; the test never waits for it


def test_a_plain_postgresql_url_opens_psycopg_on_a_real_server(postgres_url: str) -> None:
    assert postgres_url.startswith("postgresql://")
    with StateStore(postgres_url) as store:
        assert store.engine.dialect.name == "postgresql"
        assert store.engine.dialect.driver == "psycopg"
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW server_version").scalar_one().startswith("16.")
        assert "links" in inspect(store.engine).get_table_names()


def test_the_postgres_scheme_hosting_providers_hand_out_is_accepted(postgres_url: str) -> None:
    short = "postgres://" + postgres_url.removeprefix("postgresql://")
    with StateStore(short) as store:
        assert store.engine.dialect.driver == "psycopg"
        store.bind("00DAAA", "111")
    with StateStore(postgres_url) as store:
        assert store.binding() == ("00DAAA", "111")


def test_lookups_across_several_in_list_chunks_round_trip(postgres_url: str) -> None:
    size = 2 * CHUNK + 7
    with StateStore(postgres_url, clock=lambda: NOW) as store:
        people = store.new_entities("person", size)
        links = [Link(p, "hubspot", "contacts", str(900_000 + n)) for n, p in enumerate(people)]
        assert store.add_links(links) == size
        store.set_bases([BaseValue(p, "score", n) for n, p in enumerate(people)])
        ids = [link.record_id for link in links]
        found = store.links_for_records("hubspot", "contacts", ids)
        back = store.records_for(people, "hubspot")
        bases = store.bases_for(people)
    assert found == {link.record_id: link.stable_id for link in links}
    assert {p: r.record_id for p, r in back.items()} == dict(zip(people, ids, strict=True))
    assert bases[people[-1]] == {"score": size - 1}


def test_the_shared_test_database_is_emptied_to_its_just_migrated_state(
    postgres_store_db: StoreDatabase,
) -> None:
    url = postgres_store_db.url()
    with StateStore(url) as store:
        store.bind("00DAAA", "111")
        store.start_run("sync")
        store.add_links([Link(store.new_entity("person"), "hubspot", "contacts", "5")])
    postgres_store_db.empty()
    assert postgres_store_db.url() == url  # emptied, not dropped and made anew
    with StateStore(url) as store:
        with store.engine.connect() as conn:
            assert conn.execute(select(t.meta)).all() == [(VERSION_KEY, str(SCHEMA_VERSION))]
            assert conn.execute(select(func.count()).select_from(t.links)).scalar() == 0
        assert store.start_run("sync") == 1  # identities restart too
        store.bind("00DBBB", "222")  # the old binding is gone
    postgres_store_db.empty()


def _contend(url: str, holder: str, start: Any, results: Any) -> None:
    """One process: connect first, then race the others for both leases at once."""
    with StateStore(url) as store:
        store.leases.holder(FRESH)  # the connection is open before the race starts
        start.wait()
        fresh = store.leases.acquire(FRESH, holder, TTL, now=NOW)
        start.wait()
        taken_over = store.leases.acquire(EXPIRED, holder, TTL, now=NOW)
    results.put((holder, fresh, taken_over))


def _processes() -> Any:
    """Fork where it exists (no interpreter start-up per contender), spawn elsewhere."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def test_processes_racing_for_a_lease_get_exactly_one_each_time(postgres_url: str) -> None:
    with StateStore(postgres_url) as store:
        assert store.leases.acquire(EXPIRED, "crashed-run", TTL, now=NOW - 2 * TTL)
    ctx = _processes()
    start, results = ctx.Barrier(CONTENDERS), ctx.Queue()
    names = [f"process-{n}" for n in range(CONTENDERS)]
    procs = [ctx.Process(target=_contend, args=(postgres_url, n, start, results)) for n in names]
    with warnings.catch_warnings():
        # Python 3.12 warns on fork in a threaded process (xdist's worker); each child
        # only opens its own connection, so no lock held by another thread matters.
        warnings.simplefilter("ignore", DeprecationWarning)
        for proc in procs:
            proc.start()
    outcomes = [results.get(timeout=JOIN_SECONDS) for _ in procs]
    for proc in procs:
        proc.join(JOIN_SECONDS)
    assert [proc.exitcode for proc in procs] == [0] * CONTENDERS
    fresh_winners = [holder for holder, fresh, _ in outcomes if fresh]
    takeover_winners = [holder for holder, _, taken in outcomes if taken]
    assert len(fresh_winners) == 1 and len(takeover_winners) == 1
    with StateStore(postgres_url) as store:
        fresh_lease, expired_lease = store.leases.holder(FRESH), store.leases.holder(EXPIRED)
    assert fresh_lease is not None and fresh_lease.holder == fresh_winners[0]
    assert expired_lease is not None and expired_lease.holder == takeover_winners[0]
    assert expired_lease.expires == NOW + TTL
