"""API calls: crmops's rules run and sync next to the theoretical minimum and the usual script.

Usage: .venv/bin/python -m benchmarks.api_calls [--sizes 1000 10000] [--with-100k]

Per size N (people per system in the sandbox seed; the sandbox runs in its own
process on 127.0.0.1, rate limits off): `crmops init` (setup, not counted), then
`crmops sync` (first sync of both CRMs) and then `crmops rules run --crm both`
(read, score, write back fields and tasks), each counted by the sandbox per system.
Then "the usual script" runs on the same data: paged SDK reads of the objects the
rules run read (`query_all_iter`, `basic_api.get_page` at its 100 maximum), then
one SDK call per record crmops wrote (`sf.Lead.update`, `basic_api.update`) and
per task it created, replaying crmops's own changes. For the sync the usual count
is computed: the same paged reads plus one call per record the sync wrote.

Minimum = fixed calls + ⌈records/page⌉ per object read + ⌈records written/batch⌉
+ ⌈tasks/batch⌉ (for the sync: ⌈HubSpot associations/100⌉), with page 2,000
(SOQL) and batch 200 (sObject Collections) on Salesforce, page 200 (search) and
batch 100 on HubSpot. Fixed calls any correct run needs: Salesforce 1 (active
users, to route and assign owners); HubSpot 3 (account details: the portal the
state belongs to; owners; deal pipelines).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import requests

from benchmarks.common import (
    ceil_div,
    print_machine,
    print_table,
    total,
)
from benchmarks.sandbox_process import (
    SandboxProcess,
    crmops_command,
    crmops_environment,
)

PAGE = {"salesforce": 2000, "hubspot": 200}
BATCH = {"salesforce": 200, "hubspot": 100}
FIXED = {"salesforce": 1, "hubspot": 3}
RULES_OBJECTS = {"salesforce": ("Lead", "Opportunity"), "hubspot": ("contacts", "deals")}
SYNC_OBJECTS = {
    "salesforce": ("Account", "Contact", "Lead", "Opportunity"),
    "hubspot": ("companies", "contacts", "deals"),
}
TASK_TO_CONTACT, TASK_TO_DEAL = 204, 216  # HubSpot-defined association type ids
TARGET_OVER_MINIMUM = 1.05
TARGET_FEWER = {"salesforce": 100, "hubspot": 40}


def run_crmops(
    sb: SandboxProcess, state: Path, args: list[str]
) -> tuple[Any, dict[str, int], float]:
    """Run one crmops command against the sandbox; (its JSON, calls per system, seconds)."""
    env = crmops_environment(sb, state)
    sb.reset_calls()
    started = time.perf_counter()
    answer = subprocess.run(
        crmops_command() + args, env=env, capture_output=True, text=True, cwd=state
    )
    seconds = time.perf_counter() - started
    if answer.returncode not in (0, 1):
        raise RuntimeError(f"crmops {' '.join(args)}: exit {answer.returncode}\n{answer.stderr}")
    by_endpoint = sb.calls()
    if args[0] != "init":
        print(f"  crmops {' '.join(args)}: {seconds:.1f} s, exit {answer.returncode}")
        for system, calls_of in by_endpoint.items():
            print(f"    {system}: {dict(sorted(calls_of.items()))}")
    calls = {s: total(c) for s, c in by_endpoint.items()}
    return (json.loads(answer.stdout) if "--json" in args else None), calls, seconds


class UsualScript:
    """The in-house way: SDK paged reads, then one SDK call per record written."""

    def __init__(self, sb: SandboxProcess) -> None:
        from hubspot import HubSpot
        from simple_salesforce import Salesforce

        session = requests.Session()
        session.trust_env = False  # no proxies, no REQUESTS_CA_BUNDLE: 127.0.0.1 and its CA only
        session.verify = sb.info["ca_bundle"]
        self.sf: Any = Salesforce(
            instance_url=sb.info["salesforce_url"],
            session_id=sb.info["salesforce_session_id"],
            session=session,
        )
        self.hs = HubSpot(
            access_token=sb.info["hubspot_token"],
            host=sb.info["hubspot_url"],
            ssl_ca_cert=sb.info["ca_bundle"],
        )
        self.failed = 0
        self.deal_ids: set[str] = set()

    def read(self, system: str, obj: str) -> int:
        """Read every record of an object, page by page; the record count."""
        if system == "salesforce":
            return sum(1 for _ in self.sf.query_all_iter(f"SELECT Id, LastModifiedDate FROM {obj}"))
        count, after = 0, None
        while True:
            page = self.hs.crm.objects.basic_api.get_page(obj, limit=100, after=after)
            count += len(page.results)
            if obj == "deals":
                self.deal_ids.update(r.id for r in page.results)
            if not page.paging or not page.paging.next:
                return count
            after = page.paging.next.after

    def _call(self, work: Any) -> None:
        try:
            work()
        except Exception as exc:  # a refused call is still a call; count it and go on
            self.failed += 1
            if self.failed == 1:
                print(f"  usual script, first refused call: {str(exc)[:300]}")

    def update(self, system: str, obj: str, record_id: str, fields: dict[str, Any]) -> None:
        """One update call for one record."""
        if system == "salesforce":
            self._call(lambda: getattr(self.sf, obj).update(record_id, fields))
            return
        from hubspot.crm.objects import SimplePublicObjectInput

        body = SimplePublicObjectInput(properties={k: _text(v) for k, v in fields.items()})
        self._call(lambda: self.hs.crm.objects.basic_api.update(obj, record_id, body))

    def task(self, task: dict[str, Any]) -> None:
        """One create call for one task (with its association, where the API takes it inline)."""
        if task["system"] == "salesforce":
            who = "WhatId" if task["record_id"].startswith("006") else "WhoId"
            body = {
                "Subject": task["subject"],
                who: task["record_id"],
                "ActivityDate": task["due"][:10],
                "Priority": task["priority"],
            }
            self._call(lambda: self.sf.Task.create(body))
            return
        from hubspot.crm.objects import SimplePublicObjectInputForCreate

        kind = TASK_TO_DEAL if task["record_id"] in self.deal_ids else TASK_TO_CONTACT
        data = SimplePublicObjectInputForCreate(
            properties={"hs_task_subject": task["subject"], "hs_timestamp": task["due"]},
            associations=[
                {
                    "to": {"id": task["record_id"]},
                    "types": [
                        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": kind}
                    ],
                }
            ],
        )
        self._call(lambda: self.hs.crm.objects.basic_api.create("tasks", data))


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def usual_reads(
    sb: SandboxProcess, script: UsualScript
) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Read every object of both systems page by page: (records per object, calls per system)."""
    sb.reset_calls()
    counts = {(s, o): script.read(s, o) for s, objects in SYNC_OBJECTS.items() for o in objects}
    return counts, {s: total(c) for s, c in sb.calls().items()}


def usual_writes(sb: SandboxProcess, script: UsualScript, result: dict[str, Any]) -> dict[str, Any]:
    """Replay the rules run's writes one record (and one task) per call; calls per system."""
    sb.reset_calls()
    per_record: dict[tuple[str, str, str], dict[str, Any]] = defaultdict(dict)
    for change in result["changes"]:
        key = (change["system"], change["object"], change["record_id"])
        per_record[key][change["field"]] = change["after"]
    for (system, obj, record_id), fields in per_record.items():
        script.update(system, obj, record_id, fields)
    for task in result["tasks"]:
        script.task(task)
    return {
        "calls": {s: total(c) for s, c in sb.calls().items()},
        "written": {s: sum(1 for k in per_record if k[0] == s) for s in PAGE},
        "tasks": {s: sum(1 for t in result["tasks"] if t["system"] == s) for s in PAGE},
    }


def usual_pages(system: str, counts: dict[tuple[str, str], int], objects: tuple[str, ...]) -> int:
    """Read calls of the usual script: SOQL pages of 2,000, HubSpot list pages of 100."""
    page = 2000 if system == "salesforce" else 100
    return sum(ceil_div(counts[system, o], page) for o in objects)


def minimum(
    system: str,
    counts: dict[tuple[str, str], int],
    objects: tuple[str, ...],
    writes: int,
    tasks: int,
) -> int:
    """Fixed calls + full pages of reads + full batches of writes and tasks."""
    reads = sum(ceil_div(counts[system, o], PAGE[system]) for o in objects)
    return FIXED[system] + reads + ceil_div(writes, BATCH[system]) + ceil_div(tasks, BATCH[system])


def one_size(size: int) -> list[list[Any]]:
    """Measure the first sync, then the rules run, at one size; rows for the table.

    The sync runs first, on a fresh state store, as an admin's first run does (a rules
    run before the first sync leaves persons unmatched by email: see the README).
    """
    rows: list[list[Any]] = []
    with tempfile.TemporaryDirectory() as tmp, SandboxProcess(size) as sb:
        state = Path(tmp)
        run_crmops(sb, state, ["init"])
        script = UsualScript(sb)
        before, _ = usual_reads(sb, script)
        synced, sync_calls, sync_s = run_crmops(sb, state, ["sync", "--json"])
        counts, read_calls = usual_reads(sb, script)
        rules, rules_calls, rules_s = run_crmops(sb, state, ["rules", "run", "--json"])
        writes = usual_writes(sb, script, rules)
    print(
        f"N={size:,}: records per object before the sync {_named(before)}, after {_named(counts)}"
    )
    print(
        f"  sync {sync_s:.1f} s, rules run {rules_s:.1f} s; usual script: reads {read_calls} "
        f"calls for all objects, {script.failed} refused calls"
    )
    applied = (synced or {}).get("applied", {})
    print(f"  sync plan: {(synced or {}).get('plan')}")
    print(f"  sync refused by the CRM (reason, digits folded): {_reasons(applied)}")
    for system in PAGE:
        sync_writes = sum(applied.get(k, {}).get(system, 0) for k in ("created", "records_updated"))
        # HubSpot keeps company links as associations: ⌈associations/100⌉ more writes.
        links = (synced or {}).get("plan", {}).get("associations", 0) if system == "hubspot" else 0
        low = minimum(system, before, SYNC_OBJECTS[system], sync_writes, links)
        usual = usual_pages(system, before, SYNC_OBJECTS[system]) + sync_writes
        rows.append(
            _row(size, system, "first sync (usual computed)", sync_calls[system], low, usual)
        )
        written, tasks = writes["written"][system], writes["tasks"][system]
        low = minimum(system, counts, RULES_OBJECTS[system], written, tasks)
        usual = usual_pages(system, counts, RULES_OBJECTS[system]) + writes["calls"][system]
        rows.append(_row(size, system, "rules run", rules_calls[system], low, usual))
    return rows


def _named(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    return {f"{s}.{o}": n for (s, o), n in counts.items()}


def _reasons(applied: dict[str, Any]) -> list[tuple[str, int]]:
    """The most common reasons the CRMs refused sync writes."""
    reasons = Counter(
        re.sub(r"\d+", "N", f"{r.get('system')} {r.get('object')}: {r.get('reason')}")[:90]
        for r in applied.get("rejected") or []
    )
    return reasons.most_common(4)


def _row(size: int, system: str, job: str, crmops: int, low: int, usual: int) -> list[Any]:
    return [size, system, job, crmops, low, usual, f"{crmops / low:.2f}", f"{usual / crmops:.1f}x"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--with-100k", action="store_true", help="also run N=100,000 (long)")
    args = parser.parse_args()
    sizes = args.sizes + ([100_000] if args.with_100k else [])
    print_machine("API calls: crmops vs the minimum vs the usual script (rate limits off)")
    rows: list[list[Any]] = []
    for size in sizes:
        rows += one_size(size)
    print_table(
        ["N", "system", "job", "crmops", "minimum", "usual", "crmops/min", "usual/crmops"], rows
    )
    print(
        f"targets at N >= 10,000: crmops within {TARGET_OVER_MINIMUM:.2f}x of the minimum; "
        f"usual/crmops >= {TARGET_FEWER['salesforce']}x Salesforce, "
        f"{TARGET_FEWER['hubspot']}x HubSpot"
    )


if __name__ == "__main__":
    main()
