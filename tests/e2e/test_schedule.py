"""`crmops schedule`: ready cron, systemd and Kubernetes definitions for the two jobs."""

from __future__ import annotations

import configparser
import re

import pytest
import yaml
from typer.testing import CliRunner

from cli import app

runner = CliRunner()
CRON_FIELD = re.compile(r"^(\*|\*/\d+|\d+(,\d+)*)$")


def _schedule(*args: str) -> str:
    result = runner.invoke(app, ["schedule", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _cron_lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line and not line.startswith("#")]


def test_cron_has_the_nightly_job_and_the_frequent_rules_job() -> None:
    lines = _cron_lines(_schedule("--cron", "--at", "03:15", "--every", "5"))
    assert len(lines) == 2
    for fields in lines:
        assert all(CRON_FIELD.match(f) for f in fields[:5]), fields[:5]
        assert not CRON_FIELD.match(fields[5])  # the command starts right after 5 fields
    nightly, rules = (" ".join(fields) for fields in lines)
    assert nightly.startswith("15 3 * * * ") and "crmops nightly" in nightly
    assert rules.startswith("*/5 * * * * ") and "crmops rules run --crm both" in rules
    assert "flock -n" in rules  # a slow pass never overlaps the next one


def test_cron_explains_the_placeholders() -> None:
    text = _schedule("--cron", "--workdir", "/srv/acme", "--env-file", "/srv/acme/.env")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("/srv/acme " in line and "working directory" in line for line in header)
    assert any("/srv/acme/.env" in line and "secrets" in line for line in header)
    assert all("cd /srv/acme && " in " ".join(f) for f in _cron_lines(text))


def _units(text: str) -> dict[str, configparser.ConfigParser]:
    units: dict[str, configparser.ConfigParser] = {}
    for part in re.split(r"^# --- (\S+) ---$", text, flags=re.MULTILINE)[1:]:
        if part.startswith("/"):
            name = part
            continue
        parser = configparser.ConfigParser(interpolation=None, strict=True)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        parser.read_string(part)
        units[name.rsplit("/", 1)[1]] = parser
    return units


def test_systemd_units_and_timer_have_their_sections() -> None:
    units = _units(_schedule("--systemd", "--at", "01:05"))
    assert set(units) == {"crmops-nightly.service", "crmops-nightly.timer", "crmops-watch.service"}
    nightly = units["crmops-nightly.service"]
    assert nightly.sections() == ["Unit", "Service"]
    assert nightly["Service"]["Type"] == "oneshot"
    assert nightly["Service"]["ExecStart"].endswith("crmops nightly")
    assert nightly["Service"]["EnvironmentFile"] and nightly["Service"]["WorkingDirectory"]
    timer = units["crmops-nightly.timer"]
    assert timer.sections() == ["Unit", "Timer", "Install"]
    assert timer["Timer"]["OnCalendar"] == "*-*-* 01:05:00"
    watch = units["crmops-watch.service"]
    assert watch.sections() == ["Unit", "Service", "Install"]
    assert watch["Service"]["ExecStart"].endswith("crmops watch --every 2m")
    assert watch["Service"]["Restart"] == "on-failure"


def test_k8s_is_valid_yaml_with_a_cronjob_and_a_watch_deployment() -> None:
    documents = list(yaml.safe_load_all(_schedule("--k8s", "--at", "23:45")))
    kinds = {d["kind"]: d for d in documents if d}
    assert set(kinds) == {"CronJob", "Deployment"}
    cronjob = kinds["CronJob"]
    assert cronjob["apiVersion"] == "batch/v1"
    schedule = cronjob["spec"]["schedule"].split()
    assert len(schedule) == 5 and schedule[:2] == ["45", "23"]
    assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["args"] == ["nightly"]
    assert pod["containers"][0]["envFrom"] == [{"secretRef": {"name": "crmops-env"}}]
    watch = kinds["Deployment"]["spec"]
    assert watch["replicas"] == 1
    assert watch["template"]["spec"]["containers"][0]["args"] == ["watch", "--every", "2m"]
    assert (
        watch["selector"]["matchLabels"].items() <= watch["template"]["metadata"]["labels"].items()
    )


@pytest.mark.parametrize(
    "args",
    [[], ["--cron", "--k8s"], ["--cron", "--at", "25:00"], ["--cron", "--at", "2am"],
     ["--systemd", "--every", "0"]],
)  # fmt: skip
def test_bad_choices_exit_2(args: list[str]) -> None:
    result = runner.invoke(app, ["schedule", *args])
    assert result.exit_code == 2, result.output


@pytest.mark.parametrize("command", [["nightly"], ["watch"], ["rules", "run"]])
def test_the_scheduled_commands_exist(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0, result.output
