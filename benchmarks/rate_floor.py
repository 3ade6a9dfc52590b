"""Wall time of a full HubSpot sync of 20,000 contacts against the rate-limit floor.

Usage: .venv/bin/python -m benchmarks.rate_floor [--size 20060]

The sandbox runs in its own process on 127.0.0.1 with HubSpot's rate limit on at
190 calls per 10 s (5 searches per second) and 100 ms latency on every counted
call of both systems (`--latency-ms 100`); --size 20060 seeds about 20,000
HubSpot contacts (the exact count is printed). After `crmops init` (not timed), the
limit window is reset and `crmops sync` runs: the first, full sync of both CRMs,
so every HubSpot contact, company and deal is read and every write goes to
HubSpot in batches. Then `crmops rules run --crm hubspot` (read, score and write
back the same contacts) runs the same way. Floor = HubSpot calls / 19 per second
(or searches / 5 per second, if higher). 429s are the answers the crmops process
received, counted where its HubSpot transport sorts errors.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.common import (
    print_machine,
    print_table,
    run_measured,
    total,
)
from benchmarks.sandbox_process import (
    SandboxProcess,
    crmops_command,
    crmops_environment,
    rate_limited_in,
)

CALLS_PER_SECOND = 19.0  # 190 per 10 s
SEARCHES_PER_SECOND = 5.0
LATENCY_MS = 100.0
TARGET = 1.1
SEARCH_ENDPOINT = "objects.search"


def count_contacts(sb: SandboxProcess) -> int:
    """HubSpot contacts in the sandbox, read through the crmops connector (before timing)."""
    _, hubspot = sb.connect()
    return sum(1 for _ in hubspot.read_all("contacts", ["email"]))


def timed_run(sb: SandboxProcess, state: Path, args: list[str]) -> dict[str, Any]:
    """Reset the limit window and counters, run one crmops command, measure it."""
    sb.admin("hubspot", "POST", "/options", {"rate_limits": True})  # also empties the window
    sb.reset_calls()
    env = crmops_environment(sb, state)
    answer = run_measured([*crmops_command(count_429=True), *args], env, state)
    seconds = answer.seconds
    if answer.code not in (0, 1):
        raise RuntimeError(f"crmops {' '.join(args)}: exit {answer.code}\n{answer.err}")
    calls = sb.calls()
    hubspot = calls["hubspot"]
    floor = max(
        total(hubspot) / CALLS_PER_SECOND, hubspot.get(SEARCH_ENDPOINT, 0) / SEARCHES_PER_SECOND
    )
    print(
        f"  crmops {' '.join(args)}: exit {answer.code}, {seconds:.1f} s wall, "
        f"{answer.cpu_seconds:.1f} s CPU of the crmops process"
    )
    for system, by_endpoint in calls.items():
        print(f"    {system}: {dict(sorted(by_endpoint.items()))}")
    return {
        "job": "crmops " + " ".join(args),
        "hubspot_calls": total(hubspot),
        "salesforce_calls": total(calls["salesforce"]),
        "seconds": seconds,
        "cpu": answer.cpu_seconds,
        "floor": floor,
        "rate_limited": rate_limited_in(answer.err),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_060, help="people per system in the seed")
    size = parser.parse_args().size
    print_machine("Time against the HubSpot rate-limit floor (190 calls/10 s, 100 ms latency)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        SandboxProcess(size, rate_limits=True, latency_ms=LATENCY_MS) as sb,
    ):
        state = Path(tmp)
        contacts = count_contacts(sb)
        print(
            f"seed size {size:,}: {contacts:,} HubSpot contacts; sandbox up in "
            f"{sb.start_seconds:.0f} s; rate limits ON, latency {LATENCY_MS:.0f} ms per call"
        )
        subprocess.run(
            [*crmops_command(), "init"],
            env=crmops_environment(sb, state),
            cwd=state,
            capture_output=True,
            check=True,
        )
        runs = [
            timed_run(sb, state, ["sync"]),
            timed_run(sb, state, ["rules", "run", "--crm", "hubspot"]),
        ]
    rows = [
        [
            r["job"],
            r["hubspot_calls"],
            r["salesforce_calls"],
            r["seconds"],
            r["cpu"],
            r["floor"],
            f"{r['seconds'] / r['floor']:.2f}x",
            "n/a" if r["rate_limited"] is None else r["rate_limited"],
        ]
        for r in runs
    ]
    print_table(
        ["job", "HubSpot calls", "SF calls", "wall s", "CPU s", "floor s", "wall/floor", "429s"],
        rows,
    )
    sync = runs[0]
    met = sync["seconds"] <= TARGET * sync["floor"] and sync["rate_limited"] == 0
    print(
        f"target: full sync within {TARGET}x of the floor with no 429: "
        f"{sync['seconds'] / sync['floor']:.2f}x, {sync['rate_limited']} 429s -> "
        f"{'met' if met else 'missed'}"
    )


if __name__ == "__main__":
    main()
