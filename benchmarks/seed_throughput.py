"""Seed generator throughput and memory: `python -m benchmarks.seed_throughput [SIZE]`."""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, datetime

from fixtures.seed import hubspot_seed, salesforce_seed

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def main(size: int) -> None:
    """Stream both systems' seed for `size` people and print records/s and peak memory."""
    for generator in (salesforce_seed, hubspot_seed):
        wall, cpu = time.perf_counter(), time.process_time()
        count = sum(1 for _ in generator(7, size, NOW))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(
            f"{generator.__name__}: {count} records, {count / wall:,.0f} records/s wall, "
            f"{count / cpu:,.0f} records/s cpu"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(f"peak memory: {peak} MB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
