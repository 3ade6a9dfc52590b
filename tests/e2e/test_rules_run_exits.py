"""`crmops rules run` exit codes: refused records (1), bad configuration (2), no budget (3)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from typer.testing import CliRunner

from cli import app
from commands.rules_output import progress_hooks
from rules.loader import DEFAULT_RULES
from tests.e2e import rules_support as rs
from tests.e2e.support import env

LOST_STATUS = 'lost: {Status: "Closed - Not Converted"}'


def test_refused_records_are_listed_and_exit_1(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    # A Lead Status the org's restricted picklist does not hold: Salesforce refuses those leads.
    rules = DEFAULT_RULES.read_text(encoding="utf-8")
    assert LOST_STATUS in rules
    broken = tmp_path / "sop.yaml"
    broken.write_text(rules.replace(LOST_STATUS, 'lost: {Status: "Gone Cold"}'), encoding="utf-8")
    variables = env(running, f"sqlite:///{tmp_path / 'state.db'}")

    result = CliRunner().invoke(
        app,
        ["rules", "run", "--crm", "salesforce", "--rules", str(broken), "--json"],
        env=variables,
    )

    assert result.exit_code == 1, result.output
    body = json.loads(result.output)
    refused = [r for r in body["reviews"] if r["kind"] == "rejected"]
    moved = {c["record_id"] for c in body["changes"] if c["after"] == "Gone Cold"}
    assert moved and {r["record_id"] for r in refused} == moved
    assert body["summary"]["fields_written"] > 0  # the rest of the batch went on


def test_missing_settings_and_bad_rules_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    unset = runner.invoke(app, ["rules", "run"])
    assert unset.exit_code == 2 and "CRMOPS_SALESFORCE__" in unset.output
    bad = tmp_path / "sop.yaml"
    bad.write_text("timezone: Mars/Olympus\n", encoding="utf-8")
    variables = {"CRMOPS_HUBSPOT__ACCESS_TOKEN": "pat-test", "CRMOPS_STATE_URL": "sqlite:///s.db"}
    refused = runner.invoke(
        app, ["rules", "run", "--crm", "hubspot", "--rules", str(bad)], env=variables
    )
    assert refused.exit_code == 2 and f"{bad}:" in refused.output


def test_out_of_budget_exits_3(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    rs.set_faults(running, daily_budget_after_calls=0)
    variables = env(running, f"sqlite:///{tmp_path / 'state.db'}")
    result = CliRunner().invoke(app, ["rules", "run", "--crm", "salesforce"], env=variables)
    assert result.exit_code == 3, result.output
    assert "REQUEST_LIMIT_EXCEEDED" in result.output


def test_progress_bars_follow_batches() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80)
    with progress_hooks(console) as hooks:
        assert hooks is not None and hooks.progress and hooks.after_batch
        hooks.progress("salesforce Lead", 3, 3)
        hooks.after_batch("salesforce", "Lead", 3)
    assert "salesforce Lead" in screen.getvalue()
    with progress_hooks(None) as none:
        assert none is None
