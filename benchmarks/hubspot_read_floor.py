"""HubSpot connector economy: calls to read and write 10,000 records, and a 20,000-contact read
against the sandbox's default rate limit (190 per 10 s) with 100 ms latency, next to the floor.

The floor is what the rate limit alone allows: calls / 19 per second. Rate limits stay on
throughout (the sandbox default; the sandbox's window is reset between the two timed
reads, each on a fresh connector); latency is added only for the timed 20,000-contact reads.
The timings of the 10,000-record steps include pacing behind the steps before them.
Usage: .venv/bin/python benchmarks/hubspot_read_floor.py [--size 20000] [--skip-writes]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config.settings import HubSpotSettings
from integrations.base import WriteRow
from integrations.hubspot import HubSpotConnector
from integrations.provisioning import HUBSPOT_PROPERTIES
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox

FIELDS = ["email", "firstname", "lastname", "lifecyclestage"]
RATE_PER_SECOND = 19.0  # 190 calls per 10 s


RETRIES: list[float] = []  # every retry wait: a 429 or an error would show here


def _sleep(seconds: float) -> None:
    RETRIES.append(seconds)
    time.sleep(seconds)


def connector(sb: Sandbox) -> HubSpotConnector:
    settings = HubSpotSettings(
        access_token=sb.hubspot_token,
        host=sb.hubspot_url,
        search_lag_seconds=sb.options.search_lag_seconds,
    )
    return HubSpotConnector(
        settings, ca_bundle=sb.ca_bundle, now=sb.hubspot.clock.now, retry_sleep=_sleep
    )


def measure(sb: Sandbox, label: str, n: int, page: int, work: Callable[[], Any]) -> None:
    before = sb.hubspot.counter.total()
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    used = sb.hubspot.counter.total() - before
    print(f"{label:<44} {used:>5} calls  ceil(N/{page})={math.ceil(n / page):>4}  {seconds:6.1f} s")


def writes_and_reads(n: int) -> None:
    with Sandbox(SandboxOptions(size=0)) as sb:
        hs = connector(sb)
        hs.provision(HUBSPOT_PROPERTIES, dry_run=False)
        rows = [WriteRow({"email": f"w{i}@example.com", "firstname": "Ada"}) for i in range(n)]
        made: list[Any] = []
        measure(
            sb,
            f"create {n:,} contacts (batch create)",
            n,
            100,
            lambda: made.extend(hs.create("contacts", rows)),
        )
        assert all(r.ok for r in made)
        changes = [WriteRow({"firstname": "Bea"}, id=r.id) for r in made]
        measure(
            sb,
            f"update {n:,} contacts (batch update)",
            n,
            100,
            lambda: hs.update("contacts", changes),
        )
        keyed = [WriteRow({"name": f"Co {i}"}, key=f"001SF{i:012d}") for i in range(n)]
        measure(
            sb,
            f"create {n:,} companies by key (batch upsert)",
            n,
            100,
            lambda: hs.create("companies", keyed),
        )
        sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)
        measure(
            sb,
            f"read {n:,} contacts (list)",
            n,
            100,
            lambda: sum(1 for _ in hs.read_all("contacts", FIELDS)),
        )
        measure(
            sb,
            f"read {n:,} contacts changed (search)",
            n,
            200,
            lambda: sum(1 for _ in hs.changed_since("contacts", None, FIELDS)),
        )
        ids = [r.id for r in made]
        measure(
            sb,
            f"read {n:,} contacts by id (batch read)",
            n,
            100,
            lambda: hs.read_by_ids("contacts", ids, FIELDS),
        )


def timed_read(size: int) -> None:
    with Sandbox(SandboxOptions(size=0)) as sb:
        body = {
            "type": "contacts",
            "count": size,
            "age_seconds": 3600,
            "properties": {"email": "r{n}@example.com", "firstname": "Ada"},
        }
        from sandbox.hubspot import admin  # seeding only, never counted

        admin._bulk(sb.hubspot, body)
        sb.hubspot.faults.configure({"latency_ms": 100.0})
        for label, run in (
            ("list", lambda hs: sum(1 for _ in hs.read_all("contacts", FIELDS))),
            ("search", lambda hs: sum(1 for _ in hs.changed_since("contacts", None, FIELDS))),
        ):
            sb.hubspot.limiter.reset()
            hs = connector(sb)
            before = sb.hubspot.counter.snapshot()
            started = time.perf_counter()
            count = run(hs)
            seconds = time.perf_counter() - started
            after = sb.hubspot.counter.snapshot()
            used = sum(after.values()) - sum(before.values())
            assert count == size, (count, size)
            floor = used / RATE_PER_SECOND
            searches = after.get("objects.search", 0) - before.get("objects.search", 0)
            print(
                f"{size:,}-contact read via {label:<6}: {used} calls ({searches} searches), "
                f"{seconds:5.1f} s wall, floor {floor:4.1f} s (calls/19); "
                f"search-rate floor {searches / 5:4.1f} s (searches/5); retries {len(RETRIES)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--writes", type=int, default=10_000)
    parser.add_argument("--skip-writes", action="store_true")
    args = parser.parse_args()
    if not args.skip_writes:
        writes_and_reads(args.writes)
    timed_read(args.size)
    print(f"retry waits over the whole run: {len(RETRIES)} (429s or errors)")


if __name__ == "__main__":
    main()
