"""End to end: `crmops demo` through the CLI, and `crmops sandbox serve` as its own process."""

from __future__ import annotations

import json
import selectors
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import typer
from typer.testing import CliRunner

from cli import app
from commands.demo import NEXT_STEPS
from commands.sandbox import parse_faults

runner = CliRunner()
SERVE_KEYS = {
    "salesforce_url",
    "hubspot_url",
    "ca_bundle",
    "salesforce_session_id",
    "hubspot_token",
}
READY_TIMEOUT = 120  # seconds: a loaded CI machine starts slowly; a hang still ends the test


def test_demo_json_counts_both_systems() -> None:
    result = runner.invoke(app, ["demo", "--json", "--size", "20", "--seed", "3"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert (shown["seed"], shown["size"]) == (3, 20)
    salesforce, hubspot = shown["counts"]["salesforce"], shown["counts"]["hubspot"]
    assert salesforce["Lead"] > 0 and salesforce["Contact"] > 0 and salesforce["User"] >= 9
    assert hubspot["contacts"] > 0 and hubspot["companies"] > 0
    assert [s["command"] for s in shown["next"]] == [c for c, _ in NEXT_STEPS]
    assert "00D!" not in result.stdout and "pat-na1-" not in result.stdout


def test_demo_size_changes_the_counts() -> None:
    small = json.loads(runner.invoke(app, ["demo", "--json", "--size", "12"]).stdout)
    large = json.loads(runner.invoke(app, ["demo", "--json", "--size", "60"]).stdout)
    assert large["counts"]["hubspot"]["contacts"] > small["counts"]["hubspot"]["contacts"]


def test_demo_table_shows_counts_and_next_steps() -> None:
    result = runner.invoke(app, ["demo", "--size", "12"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for text in ("salesforce", "hubspot", "Lead", "contacts", "Try next", "crmops sandbox serve"):
        assert text in result.stdout


@pytest.mark.parametrize("command", [c for c, _ in NEXT_STEPS])
def test_every_suggested_command_exists(command: str) -> None:
    words = [w for w in shlex.split(command)[1:] if not w.startswith("-")]
    words = words[: 2 if words and words[0] in ("sandbox", "rules") else 1]
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, (command, result.output)


def test_fault_options_are_typed() -> None:
    faults = parse_faults(
        ["rate_limit_fraction=0.25", "session_expires_after_calls=5", "analytics_touch_per_call=2"]
    )
    assert faults == {
        "rate_limit_fraction": 0.25,
        "session_expires_after_calls": 5,
        "analytics_touch_per_call": 2,
    }
    assert parse_faults(["daily_budget_after_calls=none"]) == {"daily_budget_after_calls": None}


@pytest.mark.parametrize("item", ["no_such_fault=1", "rate_limit_fraction", "hang_seconds=soon"])
def test_bad_fault_options_are_refused(item: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_faults([item])
    result = runner.invoke(app, ["sandbox", "serve", "--fault", item])
    assert result.exit_code == 2


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    command = [sys.executable, "-m", "cli", "sandbox", "serve", "--port", "0", "--size", "12"]
    command += ["--no-search-lag", "--latency-ms", "1", "--fault", "session_expires_after_calls=1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(READY_TIMEOUT), "serve printed nothing"
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        yield process, json.loads(line)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


def _session(ca_bundle: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle
    return session


def test_serve_prints_one_line_answers_https_and_stops_on_sigterm(
    served: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    process, info = served
    assert set(info) == SERVE_KEYS
    http = _session(info["ca_bundle"])
    salesforce = {"Authorization": f"Bearer {info['salesforce_session_id']}"}
    limits = http.get(f"{info['salesforce_url']}/services/data/v59.0/limits", headers=salesforce)
    assert limits.status_code == 200
    assert "DailyApiRequests" in limits.json()
    owners = http.get(
        f"{info['hubspot_url']}/crm/v3/owners",
        headers={"Authorization": f"Bearer {info['hubspot_token']}"},
    )
    assert owners.status_code == 200
    assert any(o["email"] == "ana.sales@example.com" for o in owners.json()["results"])
    # --fault session_expires_after_calls=1 reached the app: the second call is refused.
    again = http.get(f"{info['salesforce_url']}/services/data/v59.0/limits", headers=salesforce)
    assert again.status_code == 401
    assert again.json()[0]["errorCode"] == "INVALID_SESSION_ID"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
