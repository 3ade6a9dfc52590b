"""API calls the Salesforce connector spends to read and write N records, against the ideal.

Usage: python benchmarks/connector_calls.py [N]   (default 10,000)

Runs the real simple-salesforce client against the sandbox over HTTPS (rate limits
off: Salesforce has none per second; no faults), and counts calls on both ends:
the connector's own accounting and the sandbox's counter must agree. Prints one
JSON object: calls per phase next to ceil(N/2000) pages and ceil(N/200) collections.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from integrations.base import WriteRow
from integrations.provisioning import SALESFORCE_FIELDS
from integrations.salesforce import SalesforceConnector
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox


def phase(sb: Sandbox, sf: SalesforceConnector, name: str, work: Any) -> dict[str, Any]:
    """Run `work()` and report calls counted by the sandbox and by the connector."""
    sb.salesforce.counter.reset()
    before = sf.usage().total
    started = time.perf_counter()
    count = work()
    return {
        "phase": name,
        "records": count,
        "sandbox_calls": sb.salesforce.counter.total(),
        "connector_calls": sf.usage().total - before,
        "seconds": round(time.perf_counter() - started, 2),
    }


def main(n: int) -> dict[str, Any]:
    """Create N leads by key, read them back, update them, read changes since a cursor."""
    with Sandbox(SandboxOptions(size=0, rate_limits=False)) as sb:
        sf = SalesforceConnector(
            sb.salesforce_url, sb.salesforce_session_id, ca_bundle=sb.ca_bundle
        )
        sf.provision(SALESFORCE_FIELDS, dry_run=False)
        rows = [
            WriteRow({"LastName": f"Bench {i}", "Company": "Acme"}, key=f"hs-{i}") for i in range(n)
        ]
        results: list[Any] = []

        def create() -> int:
            results.extend(sf.create("Lead", rows))
            return len(results)

        phases = [phase(sb, sf, "create (upsert by key)", create)]
        assert all(r.ok for r in results), "some creates failed"
        ids = [str(r.id) for r in results]
        fields = ["LastName", "Email", "Status", "Rating"]
        updates = [WriteRow({"Rating": "Warm"}, id=i) for i in ids]

        def changed() -> int:
            return sum(1 for _ in sf.changed_since("Lead", None, fields))

        phases += [
            phase(sb, sf, "read_all", lambda: sum(1 for _ in sf.read_all("Lead", fields))),
            phase(sb, sf, "update", lambda: len(sf.update("Lead", updates))),
            phase(
                sb,
                sf,
                "changed_since",
                lambda: sum(1 for _ in sf.changed_since("Lead", None, fields)),
            ),
            phase(sb, sf, "read_by_ids", lambda: len(sf.read_by_ids("Lead", ids, fields))),
        ]
    return {
        "records": n,
        "ideal_read_calls": math.ceil(n / 2000),
        "ideal_write_calls": math.ceil(n / 200),
        "phases": phases,
    }


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    print(json.dumps(main(size), indent=2))
