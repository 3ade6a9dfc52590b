"""The report: JSON form, terminal table and static HTML page show the same numbers."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from sync import report as reports
from sync.report import ApiTally, ObjectTally, Rejection, Report, RulesTally, SlaTally
from sync.report_view import sections, summary_lines, table
from tests.e2e.report_support import assert_page_matches, parse_page, rows_by_first_cell

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "report" / "nightly.json"


def _report() -> Report:
    raw: dict[str, Any] = json.loads(FIXTURE.read_text())
    report = Report(raw["kind"], datetime.fromisoformat(raw["generated_at"]), run_id=raw["run_id"])
    report.objects = {name: ObjectTally(**tally) for name, tally in raw["objects"].items()}
    report.rejections = [Rejection(**r) for r in raw["rejections"]]
    report.review = raw["review"]
    report.api = {s: ApiTally(**t) for s, t in raw["api"].items()}
    report.sla = {s: SlaTally(**t) for s, t in raw["sla"].items()}
    report.rules = {s: RulesTally(**t) for s, t in raw["rules"].items()}
    report.deletions = raw["deletions"]
    report.exit_code, report.status = 1, "partial"
    return report


@pytest.fixture
def saved(tmp_path: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    report = _report()
    return report.as_json(), reports.save(report, tmp_path / "reports")


def test_html_page_shows_the_numbers_of_the_json_report(
    saved: tuple[dict[str, Any], dict[str, Path]],
) -> None:
    data, paths = saved
    assert json.loads(paths["json"].read_text()) == data
    page = parse_page(paths["html"].read_text())
    assert_page_matches(page, data)
    assert rows_by_first_cell(page.tables["sla"])["Salesforce"]["compliance"] == "78.9%"
    assert rows_by_first_cell(page.tables["objects"])["matched"]["person"] == "1,204"
    overdue = rows_by_first_cell(page.tables["overdue"])
    assert overdue["ana.sales@example.com"] == {
        "owner": "ana.sales@example.com",
        "Salesforce": "3",
    }
    assert "run 12" in page.title and "partial (exit 1)" in page.title


def test_html_page_escapes_values_and_needs_no_script(
    saved: tuple[dict[str, Any], dict[str, Path]],
) -> None:
    data, paths = saved
    text = paths["html"].read_text()
    page = parse_page(text)
    assert "script" not in page.tags and "link" not in page.tags and "img" not in page.tags
    assert "<script>" not in text
    reasons = [row[3] for row in page.tables["problems"][1:]]
    assert data["rejections"][0]["reason"] in reasons  # shown as text, exactly


def test_report_files_are_owner_only(saved: tuple[dict[str, Any], dict[str, Path]]) -> None:
    _, paths = saved
    for path in paths.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(paths["html"].parent).st_mode) == 0o700


def test_explicit_html_path_puts_json_beside_it(tmp_path: Path) -> None:
    paths = reports.save(_report(), tmp_path / "unused", html=tmp_path / "out" / "drift.html")
    assert paths == {
        "json": (tmp_path / "out" / "drift.json").resolve(),
        "html": (tmp_path / "out" / "drift.html").resolve(),
    }
    assert not (tmp_path / "unused").exists()


def test_terminal_table_shows_the_same_sections() -> None:
    data = _report().as_json()
    console = Console(width=250, record=True)
    console.print(table(data))
    text = console.export_text()
    for section in sections(data):
        assert section.title in text
    assert "1,204" in text and "78.9%" in text and "first_response 8" in text


def test_summary_lines_add_up_every_object() -> None:
    lines = summary_lines(_report().as_json())
    sync = next(line for line in lines if line.startswith("sync:"))
    assert "1,514 matched, 1,489 in sync" in sync
    assert "updated 7 in Salesforce / 16 in HubSpot" in sync
    assert any(line.startswith("SLA on salesforce: 78.9% of 40") for line in lines)


def test_compliance_leaves_out_leads_still_inside_their_sla() -> None:
    assert SlaTally(in_time=3, late=1, missed=0, pending=50).compliance == 0.75
    assert SlaTally(pending=4).compliance is None
