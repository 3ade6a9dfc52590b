"""With faults injected (429s, 5xx, refused batches, locked rows, a crash between batches)
reruns of a sync reach the same state as one clean run, over several seeds."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from integrations.base import WriteRow
from integrations.errors import CrmError
from sandbox.runtime import Sandbox
from sync.apply import ApplyOptions
from sync.gather import native_fields
from sync.job import open_job
from sync.runs import sync_run
from tests.e2e.support import Harness, admin, connectors

FAULTS = {
    "rate_limit_fraction": 0.08,
    "server_error_fraction": 0.08,
    "batch_reject_fraction": 0.1,
    "lock_row_fraction": 0.1,
}
SMALL_BATCHES = {"salesforce": 4, "hubspot": 4}
MAX_RUNS = 8


class Crash(RuntimeError):
    """The process dies between two batches."""


def no_sleep(_: float) -> None:
    """Retries wait for nothing in tests."""


def quick_connectors(sb: Any) -> Any:
    made = connectors(sb)
    made["salesforce"]._sleep = no_sleep  # type: ignore[attr-defined]
    made["hubspot"].transport.sleep = no_sleep  # type: ignore[attr-defined]
    # The client-side limiter obeys 429s by pausing; here the pause is skipped.
    made["hubspot"].limiter.pause = no_sleep  # type: ignore[attr-defined]
    made["hubspot"].limiter.observe = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    return made


def same_changes(h: Harness, seed: int) -> None:
    """Edits on both sides and new records on both sides, the same in every sandbox."""
    for n, lead in enumerate(("00Q5e0000000001EAA", "00Q5e0000000002EAA", "00Q5e0000000009EAA")):
        body = {"id": lead, "fields": {"Title": f"Title {seed}-{n}"}}
        admin(h.sb, "salesforce", "edit_as_other_user", body)
    for n, contact in enumerate(("51000000003", "51000000005")):
        body = {"type": "contacts", "id": contact, "properties": {"firstname": f"Name{seed}{n}"}}
        admin(h.sb, "hubspot", "hubspot/edit", body)
    template = {"email": f"hs{seed}-{{n}}@new.example.com", "firstname": "New", "lastname": "P{n}"}
    admin(
        h.sb,
        "hubspot",
        "hubspot/bulk",
        {"type": "contacts", "count": 9, "properties": template, "age_seconds": 0},
    )
    rows = [
        WriteRow({"LastName": f"Lead {n}", "Company": "Acme", "Email": f"sf{seed}-{n}@new.example"})
        for n in range(9)
    ]
    assert all(r.ok for r in connectors(h.sb)["salesforce"].create("Lead", rows))


def snapshot(h: Harness, live_since: datetime) -> dict[str, list[dict[str, Any]]]:
    """Every mapped record of both sides as canonical values (ids and create times left out).

    Seed data is dated relative to when its sandbox started, so seeded datetimes are kept
    as seconds after the seeded org's creation. A datetime from `live_since` on was
    stamped while the test ran (a record made or changed then, a time crmops wrote):
    its exact second depends on how fast the machine ran each step, so it is kept as
    "live" only. Rows are sorted by their other values.
    """
    made = connectors(h.sb)
    org = next(iter(made["salesforce"].read_all("Organization", ["CreatedDate"])))
    epoch = datetime.fromisoformat(org.fields["CreatedDate"].replace("+0000", "+00:00"))
    job = open_job(h.store, made, datetime.now(UTC))
    out: dict[str, list[dict[str, Any]]] = {}
    for (system, variant), conv in job.compiled.converters.items():
        if conv.pair == "owner":
            continue
        rows = []
        for record in made[conv.system].read_all(conv.api_object, native_fields(conv)):
            if conv.selects(record.fields):
                values, _ = conv.to_canonical(record.fields)
                values.pop("created_at", None)
                rows.append({k: _timeless(v, epoch, live_since) for k, v in values.items()})
        out[f"{system} {variant}"] = sorted(rows, key=_without_times)
    return out


def _timeless(value: Any, epoch: datetime, live_since: datetime) -> Any:
    if not isinstance(value, datetime):
        return value
    if value >= live_since:
        return ("live", 0.0)
    return ("t", (value - epoch).total_seconds())


def _without_times(row: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in row.items() if not isinstance(v, tuple)}, default=str)


def assert_same(
    got: dict[str, list[dict[str, Any]]], want: dict[str, list[dict[str, Any]]]
) -> None:
    """Equal record sets; seeded datetimes within a second (the sandboxes started apart)."""
    assert {k: len(v) for k, v in got.items()} == {k: len(v) for k, v in want.items()}
    for key, rows in want.items():
        for mine, theirs in zip(got[key], rows, strict=True):
            assert _without_times(mine) == _without_times(theirs), key
            for name, value in theirs.items():
                if isinstance(value, tuple):
                    assert mine[name][0] == value[0], (key, name, mine[name], value)
                    assert abs(mine[name][1] - value[1]) < 1.0, (key, name)


def converge(h: Harness, hook: Callable[[str], None] | None) -> int:
    """Sync until a run has nothing left to write; returns the number of runs."""
    for run in range(1, MAX_RUNS + 1):
        options = ApplyOptions(batch_sizes=dict(SMALL_BATCHES), after_batch=hook)
        try:
            report = sync_run(h.store, quick_connectors(h.sb), datetime.now(UTC), options=options)
        except (Crash, CrmError):
            continue
        hook = None
        if not report.plan.updates and not report.plan.creates:
            return run
    raise AssertionError(f"no convergence in {MAX_RUNS} runs")


def crash_after(batches: int) -> Callable[[str], None]:
    done = []

    def hook(where: str) -> None:
        done.append(where)
        if len(done) == batches:
            raise Crash(f"crash after batch {where}")

    return hook


def prepared(make_sandbox: Any, tmp_path: Path, seed: int, name: str) -> tuple[Harness, datetime]:
    """A synced sandbox with the same changes made; and when its seeded data ends."""
    sb: Sandbox = make_sandbox(seed=seed, size=3, rate_limits=False, search_lag_seconds=0)
    live_since = datetime.now(UTC)  # the sandbox clock is real time; nothing moved it yet
    h = Harness(sb, tmp_path, f"{name}.db")
    assert converge(h, None) <= 2
    same_changes(h, seed)
    return h, live_since


@pytest.mark.parametrize("seed", [11, 22, 33])
def test_reruns_after_faults_and_a_crash_reach_the_clean_state(
    make_sandbox: Any, tmp_path: Path, seed: int
) -> None:
    clean, clean_since = prepared(make_sandbox, tmp_path, seed, "clean")
    converge(clean, None)
    faulty, faulty_since = prepared(make_sandbox, tmp_path, seed, "faulty")
    for system in ("salesforce", "hubspot"):
        admin(faulty.sb, system, "faults", {"seed": seed, **FAULTS})
    runs = converge(faulty, crash_after(2))
    for system in ("salesforce", "hubspot"):
        admin(faulty.sb, system, "faults", dict.fromkeys(FAULTS, 0.0))
    assert runs >= 2
    assert converge(faulty, None) == 1
    assert_same(snapshot(faulty, faulty_since), snapshot(clean, clean_since))
    assert len(faulty.store.links_of("hubspot", "contacts")) == len(
        clean.store.links_of("hubspot", "contacts")
    )
