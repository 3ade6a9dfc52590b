"""Full reconcile at growing sizes: wall time, peak memory of the crmops process, API calls.

Usage: .venv/bin/python -m benchmarks.reconcile_scale [--sizes 10000 100000] [--with-1m]

Per size N (people per system in the seed, so about N contacts/leads per side):
the sandbox runs in its own process on 127.0.0.1, FILE-BACKED (--db in a temporary
directory) with RATE LIMITS OFF; `crmops init` provisions the fields (not
measured); then `crmops reconcile --json` runs on a fresh state store: both CRMs
read whole, matched and compared, nothing written. With the sandbox's limits off,
crmops's own HubSpot pacing is off too (told the portal allows 100,000 calls per
10 s); `--hubspot-calls-per-10s 190` paces it as for a standard portal instead.
Peak RSS is the crmops process's own (ru_maxrss from wait4), not the sandbox's
(sampled beside it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psutil

from benchmarks.common import (
    RssSampler,
    print_machine,
    print_table,
    run_measured,
    total,
)
from benchmarks.sandbox_process import (
    SandboxProcess,
    crmops_command,
    crmops_environment,
)

TARGET_SECONDS_100K = 60.0
TARGET_MB_100K = 500.0
TARGET_MEMORY_GROWTH_1M = 2.0


UNPACED = 100_000  # calls per 10 s: no HubSpot portal limit to pace to


def one_size(size: int, keep: Path | None, pace: int) -> dict[str, Any]:
    """Seed a file-backed sandbox with `size` people per system and reconcile it once.

    With `keep`, the sandbox files live there (sandbox-SIZE.db) and are reused when present;
    reconcile without --apply writes nothing, so a kept file stays as seeded.
    """
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp)
        db = (keep or state) / f"sandbox-{size}.db"
        with SandboxProcess(size, db=db, rate_limits=False) as sb:
            env = crmops_environment(sb, state)
            env["CRMOPS_HUBSPOT__CALLS_PER_10S"] = str(pace)
            subprocess.run(
                [*crmops_command(), "init"], env=env, cwd=state, capture_output=True, check=True
            )
            sb.reset_calls()
            sandbox = psutil.Process(sb.pid)
            served_before = sum(sandbox.cpu_times()[:2])
            with RssSampler(sb.pid) as sandbox_rss:
                run = run_measured([*crmops_command(), "reconcile", "--json"], env, state)
            served = sum(sandbox.cpu_times()[:2]) - served_before
            calls = sb.calls()
    if run.code not in (0, 1):
        raise RuntimeError(f"reconcile exit {run.code}: {run.err[-3000:]}")
    print(
        f"N={size:,}: sandbox loaded in {sb.start_seconds:.0f} s; reconcile exit {run.code}, "
        f"{run.seconds:.1f} s ({run.cpu_seconds:.1f} s CPU), peak RSS {run.peak_mb:.0f} MB"
    )
    for system, by_endpoint in calls.items():
        print(f"    {system}: {dict(sorted(by_endpoint.items()))}")
    print(f"    counts: {_counts(run.out)}")
    return {
        "size": size,
        "seconds": run.seconds,
        "cpu": run.cpu_seconds,
        "peak_mb": run.peak_mb,
        "salesforce": total(calls["salesforce"]),
        "hubspot": total(calls["hubspot"]),
        "sandbox_mb": sandbox_rss.peak_mb,
        "sandbox_cpu": served,
        "load_s": sb.start_seconds,
    }


def seed_only(sizes: list[int], keep: Path | None) -> None:
    """Load the sandbox files for later runs (e.g. at low priority while the machine is busy)."""
    if keep is None:
        raise SystemExit("--seed-only needs --keep-db DIR")
    keep.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        with SandboxProcess(size, db=keep / f"sandbox-{size}.db") as sb:
            print(f"N={size:,}: seeded in {sb.start_seconds:.0f} s into {keep}", flush=True)


def _counts(out: str) -> Any:
    """What the report says was read and found, compactly (the JSON report's counts)."""
    try:
        report = json.loads(out)
    except ValueError:
        return "(no JSON report)"
    for key in ("objects", "counts", "summary"):
        if isinstance(report, dict) and key in report:
            return json.dumps(report[key])[:600]
    return sorted(report)[:20] if isinstance(report, dict) else type(report).__name__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--with-1m", action="store_true", help="also N=1,000,000 (long)")
    parser.add_argument("--keep-db", type=Path, help="keep (and reuse) seeded sandbox files here")
    parser.add_argument("--seed-only", action="store_true", help="only seed the kept files")
    parser.add_argument(
        "--hubspot-calls-per-10s",
        type=int,
        default=UNPACED,
        help=f"crmops's own HubSpot pacing (default {UNPACED:,}: off, as the sandbox's limits)",
    )
    args = parser.parse_args()
    sizes = args.sizes + ([1_000_000] if args.with_1m else [])
    if args.keep_db:
        args.keep_db.mkdir(parents=True, exist_ok=True)
    if args.seed_only:
        seed_only(sizes, args.keep_db)
        return
    print_machine("Full reconcile: time, peak RSS, calls (sandbox file-backed, rate limits OFF)")
    pace = args.hubspot_calls_per_10s
    paced = "OFF" if pace >= UNPACED else f"{pace} calls per 10 s"
    print(f"crmops's own HubSpot pacing: {paced} (CRMOPS_HUBSPOT__CALLS_PER_10S={pace})")
    results = [one_size(size, args.keep_db, pace) for size in sizes]
    rows = []
    previous: dict[str, Any] | None = None
    for r in results:
        growth = ""
        if previous is not None:
            times = r["seconds"] / previous["seconds"]
            memory = r["peak_mb"] / previous["peak_mb"]
            growth = f"N x{r['size'] / previous['size']:.0f}: time x{times:.1f}, RSS x{memory:.2f}"
        rows.append(
            [
                r["size"],
                r["seconds"],
                r["cpu"],
                r["peak_mb"],
                r["salesforce"],
                r["hubspot"],
                r["sandbox_mb"],
                r["sandbox_cpu"],
                growth,
            ]
        )
        previous = r
    print_table(
        [
            "N per side",
            "wall s",
            "crmops CPU s",
            "crmops peak RSS MB",
            "SF calls",
            "HubSpot calls",
            "sandbox RSS MB",
            "sandbox CPU s",
            "growth",
        ],
        rows,
    )
    verdicts(results)


def verdicts(results: list[dict[str, Any]]) -> None:
    """Print met / missed for each target the run covered."""
    by_size = {r["size"]: r for r in results}
    at_100k = by_size.get(100_000)
    if at_100k:
        fast = at_100k["seconds"] <= TARGET_SECONDS_100K
        small = at_100k["peak_mb"] < TARGET_MB_100K
        print(
            f"target 100,000 within {TARGET_SECONDS_100K:.0f} s: {at_100k['seconds']:.1f} s -> "
            f"{'met' if fast else 'missed'}"
        )
        print(
            f"target 100,000 under {TARGET_MB_100K:.0f} MB: {at_100k['peak_mb']:.0f} MB -> "
            f"{'met' if small else 'missed'}"
        )
    at_1m = by_size.get(1_000_000)
    if at_100k and at_1m:
        growth = at_1m["peak_mb"] / at_100k["peak_mb"]
        print(
            f"target peak RSS at 1,000,000 <= {TARGET_MEMORY_GROWTH_1M:.0f}x that at 100,000: "
            f"{growth:.2f}x -> {'met' if growth <= TARGET_MEMORY_GROWTH_1M else 'missed'}"
        )
    else:
        print("100,000 and 1,000,000 not both run: memory growth target not measured")


if __name__ == "__main__":
    main()
