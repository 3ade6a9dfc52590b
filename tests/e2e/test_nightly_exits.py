"""`crmops nightly` exit codes: records refused (1), configuration (2), a CRM out of budget (3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from rules.loader import DEFAULT_RULES
from sync.lease import lease_name
from sync.nightly import LEASE_TTL, LeaseLost, NightlyInputs, run_nightly
from tests.e2e.support import Harness, connectors, env

runner = CliRunner()
LOST_STATUS = 'lost: {Status: "Closed - Not Converted"}'


def _world(make_sandbox: Any, tmp_path: Path) -> tuple[Harness, dict[str, str]]:
    running = make_sandbox(size=6, rate_limits=False, search_lag_seconds=0)
    h = Harness(running, tmp_path)
    return h, {**env(running, h.state_url), "CRMOPS_REPORTS_DIR": str(tmp_path / "reports")}


def test_refused_records_exit_1_and_are_listed(make_sandbox: Any, tmp_path: Path) -> None:
    h, variables = _world(make_sandbox, tmp_path)
    rules = DEFAULT_RULES.read_text(encoding="utf-8")
    assert LOST_STATUS in rules
    broken = tmp_path / "sop.yaml"  # a Lead Status the org's picklist refuses
    broken.write_text(rules.replace(LOST_STATUS, 'lost: {Status: "Gone Cold"}'), encoding="utf-8")
    result = runner.invoke(
        app, ["nightly", "--json"], env={**variables, "CRMOPS_RULES_FILE": str(broken)}
    )
    assert result.exit_code == exit_codes.RECORDS_REJECTED, result.output
    shown = json.loads(result.stdout)
    assert shown["status"] == "partial" and shown["rules"]["salesforce"]["rejected"] > 0
    assert shown["rejections"] and all(r["system"] == "salesforce" for r in shown["rejections"])
    assert h.store.runs(kind="nightly")[0].exit_code == exit_codes.RECORDS_REJECTED
    h.close()


def test_a_crm_out_of_budget_exits_3_and_the_run_says_failed(
    make_sandbox: Any, tmp_path: Path
) -> None:
    h, variables = _world(make_sandbox, tmp_path)
    h.sb.hubspot.faults.configure({"daily_budget_after_calls": 6})
    result = runner.invoke(app, ["nightly"], env=variables)
    assert result.exit_code == exit_codes.CRM_UNAVAILABLE, result.output
    assert "crmops nightly:" in result.stderr
    run = h.store.runs(kind="nightly")[0]
    assert (run.status, run.exit_code) == ("failed", exit_codes.CRM_UNAVAILABLE)
    reports = [Path(a.path) for a in h.store.artifacts("report") if a.run_id == run.id]
    assert reports and all(p.is_file() for p in reports)  # the failed night still reports
    saved = json.loads(next(p for p in reports if p.suffix == ".json").read_text())
    assert saved["status"] == "failed" and saved["notes"][0].startswith("stopped:")
    h.close()


def test_bad_configuration_exits_2(make_sandbox: Any, tmp_path: Path) -> None:
    h, variables = _world(make_sandbox, tmp_path)
    broken = tmp_path / "mapping.yaml"
    broken.write_text("version: 1\npairs: {}\nsurprise: true\n", encoding="utf-8")
    result = runner.invoke(app, ["nightly"], env={**variables, "CRMOPS_MAPPING_FILE": str(broken)})
    assert result.exit_code == exit_codes.BAD_INPUT, result.output
    assert str(broken) in result.stderr
    run = h.store.runs(kind="nightly")[0]
    assert (run.status, run.exit_code) == ("failed", exit_codes.BAD_INPUT)
    h.close()


def test_a_run_that_loses_its_lease_stops_and_says_so(make_sandbox: Any, tmp_path: Path) -> None:
    h, _ = _world(make_sandbox, tmp_path)
    later = datetime.now(UTC) + LEASE_TTL + timedelta(minutes=1)
    both = connectors(h.sb)
    name = lease_name("nightly", both["salesforce"].identity(), both["hubspot"].identity())

    def steal(step: str) -> None:  # another host takes the lease once ours looks expired
        if step.startswith("applying the SOP rules on salesforce"):
            assert h.store.leases.acquire(name, "other-host:1:x", LEASE_TTL, now=later)

    inputs = NightlyInputs(
        h.store, connectors(h.sb), tmp_path / "reports", datetime.now(UTC), progress=steal
    )
    with pytest.raises(LeaseLost, match="other-host:1:x"):
        run_nightly(inputs)
    run = h.store.runs(kind="nightly")[0]
    assert (run.status, run.exit_code) == ("failed", exit_codes.CRM_UNAVAILABLE)
    assert h.store.runs(kind="rules") == []  # it stopped before the rules wrote anything
    h.close()
