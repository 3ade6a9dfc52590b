"""`crmops rules evaluate` and `crmops rules check` through typer's CliRunner."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from tests.rules.conftest import FIXTURES

NOW_ARG = "2026-03-10T14:00:00-04:00"


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["rules", *args])


def test_evaluate_json_shape_and_order() -> None:
    result = run(
        "evaluate", "--input", str(FIXTURES / "worked_examples.json"), "--now", NOW_ARG, "--json"
    )
    assert result.exit_code == exit_codes.OK, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [f"00Q00000000000{i}AAA" for i in range(1, 7)]
    first = rows[0]
    assert set(first) == {"id", "score", "temperature", "breakdown", "stage", "tasks"}
    assert (first["score"], first["temperature"]) == (90, "Extremely Hot")
    assert sum(e["points"] for e in first["breakdown"]) == 90
    assert first["stage"] == {"from": "engaged", "to": "engaged", "reason": None}
    task = next(t for t in first["tasks"] if t["rule"] == "hot_lead")
    assert task == {
        "rule": "hot_lead",
        "key": "hot_lead:00Q000000000001AAA:once",
        "subject": "Hot lead: offer appointment within 24 h",
        "due": "2026-03-11T14:00:00-04:00",
        "priority": "High",
        "assignee": "005000000000001AAA",
    }
    assert rows[3]["tasks"][0]["due"] == "2026-03-10T14:03:00-04:00"


def test_bad_records_are_reported_and_others_evaluated() -> None:
    result = run(
        "evaluate", "--input", str(FIXTURES / "bad_records.json"), "--now", NOW_ARG, "--json"
    )
    assert result.exit_code == exit_codes.RECORDS_REJECTED
    rows = json.loads(result.stdout)
    assert [r.get("score") for r in rows] == [0, None, 10, None]
    assert rows[2]["stage"]["to"] == "contacted"
    assert rows[1]["errors"][0]["field"] == "employees"
    assert "record 1: field employees: expected an integer" in result.stderr
    assert "record 1: field created_at: datetime has no UTC offset" in result.stderr
    assert "record 3: field id: required field is missing" in result.stderr
    assert "record 3: field employeez: unknown field" in result.stderr


def test_table_output() -> None:
    result = run("evaluate", "--input", str(FIXTURES / "worked_examples.json"), "--now", NOW_ARG)
    assert result.exit_code == exit_codes.OK
    assert "Extremely Hot" in result.stdout and "first_response" in result.stdout


def test_bad_now_input_and_rules_exit_2(tmp_path: Path) -> None:
    leads = str(FIXTURES / "worked_examples.json")
    assert run("evaluate", "--input", leads, "--now", "2026-03-10T14:00").exit_code == 2
    assert run("evaluate", "--input", leads, "--now", "tuesday").exit_code == 2
    broken = tmp_path / "leads.json"
    broken.write_text("{not json")
    assert run("evaluate", "--input", str(broken), "--now", NOW_ARG).exit_code == 2
    rules = tmp_path / "rules.yaml"
    rules.write_text("timezone: Nowhere\n")
    result = run("evaluate", "--input", leads, "--now", NOW_ARG, "--rules", str(rules))
    assert result.exit_code == exit_codes.BAD_INPUT
    assert f"{rules}:1:" in result.stderr


def test_check_prints_ok_or_every_problem(tmp_path: Path) -> None:
    assert run("check").stdout.startswith("OK: ")
    rules = tmp_path / "rules.yaml"
    rules.write_text("timezone: America/New_York\nhorizon: 24h\nbogus: 1\n")
    result = run("check", str(rules))
    assert result.exit_code == exit_codes.BAD_INPUT
    assert f"{rules}:3: bogus: unknown key" in result.stderr
    assert "scoring: required key is missing" in result.stderr


LEAD_KEYS = ["id", "score", "temperature", "breakdown", "stage", "tasks"]
TASK_KEYS = ["rule", "key", "subject", "due", "priority", "assignee"]
BANDS = {"Extremely Hot", "Hot", "Warm", "Cool", "Cold"}


def test_evaluate_json_shape_exactly_as_issue_6_says(tmp_path: Path) -> None:
    """Key names and order, input order, stage.to == stage.from unmoved, due with offset."""
    moving = {"id": "00QMOVE", "stage": "new", "created_at": "2026-03-10T13:00:00-04:00",
              "first_outreach_at": "2026-03-10T13:30:00-04:00", "owner_id": "005A"}  # fmt: skip
    odd = {"id": "00QODD", "stage": "Nurturing", "owner_id": "005A"}
    examples = json.loads((FIXTURES / "worked_examples.json").read_text())
    leads = tmp_path / "leads.json"
    leads.write_text(json.dumps([moving, *examples, odd]))

    result = run("evaluate", "--input", str(leads), "--now", NOW_ARG, "--json")

    assert result.exit_code == exit_codes.OK, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["00QMOVE", *[e["id"] for e in examples], "00QODD"]
    for row in rows:
        assert list(row) == LEAD_KEYS
        assert row["temperature"] in BANDS
        assert all(list(e) == ["criterion", "points"] for e in row["breakdown"])
        assert sum(e["points"] for e in row["breakdown"]) == row["score"]
        assert list(row["stage"]) == ["from", "to", "reason"]
        for task in row["tasks"]:
            assert list(task) == TASK_KEYS
            due = datetime.fromisoformat(task["due"])
            assert due.utcoffset() is not None and task["due"][-6:] in ("-04:00", "-05:00")
    assert rows[0]["stage"] == {
        "from": "new",
        "to": "contacted",
        "reason": "first outreach completed",
    }
    unmoved = [r["stage"] for r in rows[1:]]
    assert all(s["to"] == s["from"] and s["reason"] is None for s in unmoved)
    assert rows[-1]["stage"]["from"] == "Nurturing"  # unmapped: kept as it is
