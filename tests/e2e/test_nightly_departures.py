"""The nightly sweep: deleted, GDPR-erased and merged records are handled and reported."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from integrations.base import WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.report_support import parse_page, rows_by_first_cell
from tests.e2e.support import Harness, admin, connectors, env, hubspot_call

runner = CliRunner()
INGRID = "51000000007"  # HubSpot only at first: the first night creates her Salesforce lead
ROBERT_LEAD = "00Q5e0000000002EAA"
CARLOS = "51000000009"


def _night(variables: dict[str, str]) -> dict[str, Any]:
    result = runner.invoke(app, ["nightly", "--json"], env=variables)
    assert result.exit_code in (exit_codes.OK, exit_codes.RECORDS_REJECTED), result.output
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


@pytest.fixture(scope="module")
def second_night(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Harness, dict]]:
    folder = tmp_path_factory.mktemp("departures")
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        h = Harness(sb, folder)
        variables = {**env(sb, h.state_url), "CRMOPS_REPORTS_DIR": str(folder / "reports")}
        first = _night(variables)
        assert not any(first["deletions"].values())
        hubspot_call(sb, "POST", "/crm/v3/objects/contacts/gdpr-delete", {"objectId": INGRID})
        hubspot_call(sb, "DELETE", f"/crm/v3/objects/contacts/{CARLOS}")
        fields = {"LastName": "Tables", "Company": "Pelican", "Email": "r.tables@pelican.example"}
        winner = connectors(sb)["salesforce"].create("Lead", [WriteRow(fields)])[0].id
        admin(sb, "salesforce", "merge", {"master_id": winner, "loser_ids": [ROBERT_LEAD]})
        yield h, _night(variables)
        h.close()


def test_departures_are_counted_by_kind(second_night: tuple[Harness, dict]) -> None:
    _, shown = second_night
    assert shown["deletions"] == {"deleted": 1, "erased": 1, "merged": 1}
    for tally in shown["objects"].values():
        assert tally["created"] == {"salesforce": 0, "hubspot": 0}  # nothing is recreated


def test_the_erased_contact_leaves_a_tombstone(second_night: tuple[Harness, dict]) -> None:
    h, _ = second_night
    tombstones = {(t.system, t.record_id): t.reason for t in h.store.tombstones()}
    assert tombstones[("hubspot", INGRID)] == "erased"
    assert tombstones[("hubspot", CARLOS)] == "deleted"


def test_the_page_lists_the_departures(second_night: tuple[Harness, dict]) -> None:
    _, shown = second_night
    page = parse_page(Path(shown["files"]["html"]).read_text())
    rows = rows_by_first_cell(page.tables["deletions"])
    counts = {what.split(" ", 1)[0].rstrip(":"): row["records"] for what, row in rows.items()}
    assert counts == {"deleted": "1", "erased": "1", "merged": "1"}
