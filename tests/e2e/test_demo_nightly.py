"""`crmops demo` runs the nightly job on the sandbox and ends with the report's summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from tests.e2e.report_support import assert_page_matches, parse_page

runner = CliRunner()


@pytest.fixture(scope="module")
def shown(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, Any]]:
    folder = tmp_path_factory.mktemp("demo") / "state"
    result = runner.invoke(app, ["demo", "--json", "--size", "16", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    return folder, result, json.loads(result.stdout)


def test_demo_runs_the_whole_nightly_job(shown: tuple[Path, Any, dict[str, Any]]) -> None:
    _, _, data = shown
    report = data["report"]
    assert report["kind"] == "nightly" and report["applied"] is True
    assert set(report["objects"]) == {"company", "person", "deal"}
    assert report["objects"]["person"]["matched"] > 0
    for system in ("salesforce", "hubspot"):
        rules = report["rules"][system]
        assert rules["leads"] > 0 and sum(rules["temperatures"].values()) > 0
        assert sum(rules["tasks_created"].values()) > 0
        assert report["api"][system]["calls"] > 0
        assert report["sla"][system]["new_leads"] >= 0
    assert data["counts"]["salesforce"]["Lead"] > 0


def test_demo_keeps_its_state_and_reports_in_its_own_folder(
    shown: tuple[Path, Any, dict[str, Any]],
) -> None:
    folder, result, data = shown
    assert Path(data["state_dir"]) == folder.resolve()
    assert (folder / "state.db").is_file()
    html = Path(data["files"]["html"])
    assert html.parent == (folder / "reports").resolve()
    assert_page_matches(
        parse_page(html.read_text()), json.loads(Path(data["files"]["json"]).read_text())
    )
    assert not Path(".crmops").exists()  # the user's own state is never touched
    assert "00D!" not in result.stdout and "pat-na1-" not in result.stdout


def test_demo_starts_its_store_afresh_each_time(shown: tuple[Path, Any, dict[str, Any]]) -> None:
    folder, _, first = shown
    again = runner.invoke(app, ["demo", "--json", "--size", "16", "--dir", str(folder)])
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert second["report"]["run_id"] == first["report"]["run_id"] == 1
    assert second["report"]["objects"] == first["report"]["objects"]  # same seed, same night


def test_demo_table_ends_with_the_summary_and_the_report_path() -> None:
    result = runner.invoke(app, ["demo", "--size", "12"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("Records per object", "SOP rules", "Summary", "temperature", "HTML report:"):
        assert text in out
    summary = out[out.index("Summary") :]
    assert "sync:" in summary and "rules on salesforce" in summary and "rules on hubspot" in summary
    path = out.split("HTML report:", 1)[1].split()[0]
    assert Path(path).is_file() and Path(path).suffix == ".html"
    assert out.rstrip().endswith("ready schedules for the nightly job and the frequent rules job")
