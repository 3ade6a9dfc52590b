"""`crmops nightly` on the sandbox: the lock, the whole job, its report and its run record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync.lease import lease_name
from tests.e2e.report_support import assert_page_matches, parse_page
from tests.e2e.support import Harness, connectors, env

runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Harness, dict[str, str]]]:
    """A small sandbox with crmops's fields, a state store and the CLI's environment."""
    folder = tmp_path_factory.mktemp("nightly")
    with Sandbox(SandboxOptions(size=16, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, folder)
        variables = {**env(sb, harness.state_url), "CRMOPS_REPORTS_DIR": str(folder / "reports")}
        yield harness, variables
        harness.close()


def _lease(h: Harness) -> str:
    both = connectors(h.sb)
    return lease_name("nightly", both["salesforce"].identity(), both["hubspot"].identity())


def test_the_lock_stops_a_second_nightly_run(world: tuple[Harness, dict[str, str]]) -> None:
    h, variables = world
    name = _lease(h)
    holder = "ops-box:4242:first"
    assert h.store.leases.acquire(name, holder, timedelta(minutes=30))
    try:
        result = runner.invoke(app, ["nightly"], env=variables)
    finally:
        h.store.leases.release(name, holder)
    assert result.exit_code == exit_codes.CRM_UNAVAILABLE
    held = h.store.leases.holder(name)
    assert held is None  # released by the test above, never taken over by the CLI
    assert holder in result.stderr and "until 20" in result.stderr
    assert h.store.runs(kind="nightly") == []  # it did nothing, not even start a run


@pytest.fixture(scope="module")
def first_night(world: tuple[Harness, dict[str, str]]) -> tuple[Harness, Any, dict[str, Any]]:
    h, variables = world
    result = runner.invoke(app, ["nightly", "--json"], env=variables)
    assert result.exit_code in (exit_codes.OK, exit_codes.RECORDS_REJECTED), result.output
    return h, result, json.loads(result.stdout)


def test_nightly_runs_every_step_and_reports(first_night: Any) -> None:
    h, result, shown = first_night
    assert shown["kind"] == "nightly" and shown["applied"] is True
    assert set(shown["objects"]) == {"company", "person", "deal"}
    person = shown["objects"]["person"]
    assert person["matched"] > 0 and person["matched"] >= person["in_sync"]
    assert set(shown["rules"]) == {"salesforce", "hubspot"}
    assert all(r["leads"] > 0 and sum(r["temperatures"].values()) for r in shown["rules"].values())
    assert set(shown["sla"]) == {"salesforce", "hubspot"}
    assert all(shown["api"][s]["calls"] > 0 for s in ("salesforce", "hubspot"))
    assert shown["exit_code"] == result.exit_code
    assert h.sb.salesforce_session_id not in result.stdout
    assert h.sb.hubspot_token not in result.stdout


def test_nightly_html_report_shows_the_json_numbers(first_night: Any) -> None:
    _, _, shown = first_night
    files = shown["files"]
    saved = json.loads(Path(files["json"]).read_text())
    assert saved["objects"] == shown["objects"] and saved["api"] == shown["api"]
    assert_page_matches(parse_page(Path(files["html"]).read_text()), saved)


def test_nightly_records_its_run_and_indexes_its_report(first_night: Any) -> None:
    h, result, shown = first_night
    runs = h.store.runs(kind="nightly")
    assert [r.id for r in runs] == [shown["run_id"]]
    run = runs[0]
    assert run.exit_code == result.exit_code and run.finished is not None
    assert run.calls["salesforce"] and run.calls["hubspot"]
    assert sum(run.calls["hubspot"].values()) == shown["api"]["hubspot"]["calls"]
    assert run.summary is not None and run.summary["objects"] == shown["objects"]
    indexed = {a.path for a in h.store.artifacts("report")}
    assert set(shown["files"].values()) <= indexed
    assert {r.kind for r in h.store.runs()} >= {"nightly", "rules"}
    assert h.store.leases.holder(_lease(h)) is None  # released at the end


def test_a_second_night_creates_nothing_and_writes_little(first_night: Any) -> None:
    h, _, first = first_night
    result = runner.invoke(app, ["nightly", "--json"], env=world_env(h))
    assert result.exit_code in (exit_codes.OK, exit_codes.RECORDS_REJECTED), result.output
    shown = json.loads(result.stdout)

    def written(report: dict[str, Any]) -> int:
        return sum(sum(t["updated"].values()) for t in report["objects"].values())

    for name, tally in shown["objects"].items():
        assert tally["created"] == {"salesforce": 0, "hubspot": 0}, name
        assert tally["only_in"] == {"salesforce": 0, "hubspot": 0}, name
    assert written(shown) < written(first) // 4
    assert shown["run_id"] > first["run_id"]


def world_env(h: Harness) -> dict[str, str]:
    """The CLI environment of the module's world (rebuilt from the harness)."""
    folder = Path(h.state_url.removeprefix("sqlite:///")).parent
    return {**env(h.sb, h.state_url), "CRMOPS_REPORTS_DIR": str(folder / "reports")}


def test_nightly_without_settings_exits_2() -> None:
    result = runner.invoke(app, ["nightly"])
    assert result.exit_code == exit_codes.BAD_INPUT
    assert "CRMOPS_SALESFORCE__" in result.output or "Salesforce" in result.output
