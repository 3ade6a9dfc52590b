"""`crmops reconcile`: drift the incremental sync cannot see is found, reported, and repaired."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from integrations.base import Cursor, WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.report_support import assert_page_matches, parse_page
from tests.e2e.support import Harness, connectors, env

runner = CliRunner()
HUBSPOT_ID, SALESFORCE_ID = "51000000001", "00Q5e0000000001EAA"  # linked by the first sync
TITLE = "Chief Drift Officer"
VARIANTS = {
    "salesforce": ("Lead", "Contact", "PersonAccount", "Account", "Opportunity"),
    "hubspot": ("contacts", "companies", "deals"),
}


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Harness, dict[str, str]]]:
    """Synced once; then a HubSpot title edit hidden from the cursors (they point past it)."""
    folder = tmp_path_factory.mktemp("reconcile")
    with Sandbox(SandboxOptions(size=16, rate_limits=False, search_lag_seconds=0)) as sb:
        h = Harness(sb, folder)
        assert h.sync().exit_code == 0
        assert h.partner("hubspot", HUBSPOT_ID) == SALESFORCE_ID
        hubspot = connectors(sb)["hubspot"]
        assert hubspot.update("contacts", [WriteRow({"jobtitle": TITLE}, id=HUBSPOT_ID)])[0].ok
        later = Cursor(datetime.now(UTC) + timedelta(days=1), "")
        for system, variants in VARIANTS.items():
            for variant in variants:
                h.store.save_cursor(system, variant, later)
        yield h, {**env(sb, h.state_url), "CRMOPS_REPORTS_DIR": str(folder / "reports")}
        h.close()


def _run(variables: dict[str, str], *args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"], env=variables)
    assert result.exit_code == exit_codes.OK, result.output
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def _title(h: Harness) -> Any:
    return h.one("salesforce", "Lead", SALESFORCE_ID, ["Title"])["Title"]


def test_incremental_sync_misses_the_drift_and_reconcile_finds_it(drifted: Any) -> None:
    h, variables = drifted
    synced = _run(variables, "sync")
    assert not synced["plan"].get("updates")
    shown = _run(variables, "reconcile")
    assert shown["kind"] == "reconcile" and shown["applied"] is False
    person = shown["objects"]["person"]
    assert person["updated"]["salesforce"] == 1 and person["updated"]["hubspot"] == 0
    assert person["matched"] == person["in_sync"] + 1
    assert _title(h) != TITLE  # a reconcile without --apply writes nothing
    assert h.store.journal_for_run(shown["run_id"]) == []
    assert h.store.run(shown["run_id"]).kind == "reconcile"  # type: ignore[union-attr]


def test_reconcile_apply_repairs_and_writes_the_report_asked_for(
    drifted: Any, tmp_path: Path
) -> None:
    h, variables = drifted
    page = tmp_path / "out" / "drift.html"
    shown = _run(variables, "reconcile", "--apply", "--report", str(page))
    assert shown["applied"] is True
    assert shown["objects"]["person"]["updated"]["salesforce"] == 1
    assert _title(h) == TITLE
    written = h.store.journal_for_run(shown["run_id"], "written")
    assert [(e.record_id, e.field, e.after) for e in written] == [(SALESFORCE_ID, "title", TITLE)]
    assert shown["files"] == {"json": str(page.with_suffix(".json")), "html": str(page)}
    assert_page_matches(
        parse_page(page.read_text()), json.loads(page.with_suffix(".json").read_text())
    )
    assert str(page) in {a.path for a in h.store.artifacts("report")}
    again = _run(variables, "reconcile")
    for name, tally in again["objects"].items():
        assert tally["matched"] == tally["in_sync"], name
        assert tally["updated"] == {"salesforce": 0, "hubspot": 0}, name


def test_reconcile_table_names_the_report_file(drifted: Any) -> None:
    _, variables = drifted
    result = runner.invoke(app, ["reconcile"], env=variables)
    assert result.exit_code == exit_codes.OK, result.output
    assert "Records per object" in result.stdout and "Report: " in result.stdout
    assert "planned only (dry run)" in result.stdout


def test_reconcile_against_another_org_exits_2(drifted: Any, tmp_path: Path) -> None:
    h, variables = drifted
    h.store.bind("00D5e000000SbXaEAK", None)  # the sandbox's own org: still fine
    other = {**variables, "CRMOPS_STATE_URL": f"sqlite:///{tmp_path / 'other.db'}"}
    from sync.store import StateStore

    with StateStore(other["CRMOPS_STATE_URL"]) as store:
        store.bind("00D000000000001AAA", "1")
    result = runner.invoke(app, ["reconcile"], env=other)
    assert result.exit_code == exit_codes.BAD_INPUT
    assert "00D000000000001AAA" in result.output
