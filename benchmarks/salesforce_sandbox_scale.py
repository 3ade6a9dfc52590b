"""Load a file-backed Salesforce sandbox (about a million records at --size 485000) and time pages.

Usage: .venv/bin/python benchmarks/salesforce_sandbox_scale.py --size 485000 --db /tmp/sf.db
A second run on the same --db reuses the file (the org lives in /tmp/sf.salesforce.db) and
only times the queries.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from urllib.parse import quote

from sandbox.http import Request
from sandbox.options import SandboxOptions
from sandbox.salesforce.app import SalesforceApp

QUERIES = [
    "SELECT Id, Email, SystemModstamp FROM Lead ORDER BY SystemModstamp, Id",
    "SELECT Id, Email FROM Lead WHERE SystemModstamp > 2026-01-01T00:00:00Z "
    "ORDER BY SystemModstamp, Id",
    "SELECT Id, LastName FROM Lead WHERE Email = 'nobody@example.com'",
    "SELECT Id, Owner.Email FROM Lead WHERE Rating = 'Hot' LIMIT 2000",
    "SELECT Id FROM Contact WHERE LastName = 'Smith'",
    "SELECT COUNT() FROM Lead",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=485_000)
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    started = time.perf_counter()
    app = SalesforceApp(SandboxOptions(size=args.size, db_path=args.db), "bench")
    counts = app.describe()
    print(f"open/load {time.perf_counter() - started:.1f}s, {sum(counts.values())} records")
    headers = {"Authorization": "Bearer bench"}
    for soql in QUERIES:
        started = time.perf_counter()
        answer = app.dispatch(
            Request("GET", "/services/data/v59.0/query/?q=" + quote(soql), headers)
        )
        first = time.perf_counter() - started
        line = f"{first:.3f}s total={answer.body.get('totalSize')}"
        next_url = answer.body.get("nextRecordsUrl")
        if next_url:
            started = time.perf_counter()
            app.dispatch(Request("GET", next_url, headers))
            line += f" next page {time.perf_counter() - started:.3f}s"
        print(f"{line}  {soql[:70]}")
    app.close()


if __name__ == "__main__":
    main()
