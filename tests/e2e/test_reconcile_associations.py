"""Reconcile finds and repairs company associations HubSpot lacks, in one pass or in shards."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from integrations.base import WriteRow
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync import reconcile as reconciling
from sync.apply_associations import FIELD_PREFIX
from sync.job import open_job
from sync.reconcile_shards import read_shards
from tests.e2e.report_support import assert_page_matches, parse_page
from tests.e2e.support import Harness, connectors, env

runner = CliRunner()
CONTACT = "0035e0000000003AAA"  # on a business account; linked by email to a HubSpot contact
SMALL = 12  # records per shard: every pair is cut into many shards


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=20, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("reconcile-associations"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def _hubspot(h: Harness) -> Any:
    return connectors(h.sb)["hubspot"]


def _ends(h: Harness) -> tuple[str, str]:
    """The contact's HubSpot partner and its account's company."""
    account = str(h.one("salesforce", "Contact", CONTACT, ["AccountId"])["AccountId"])
    return h.partner("salesforce", CONTACT), h.partner("salesforce", account)


def _associated(h: Harness, contact: str) -> list[str]:
    return list(_hubspot(h).read_associations("contacts", "companies", [contact]).get(contact, []))


def _run(h: Harness, folder: Path, *args: str) -> dict[str, Any]:
    variables = {**env(h.sb, h.state_url), "CRMOPS_REPORTS_DIR": str(folder)}
    result = runner.invoke(app, ["reconcile", *args, "--json"], env=variables)
    assert result.exit_code == exit_codes.OK, result.output
    shown: dict[str, Any] = json.loads(result.stdout)
    return shown


def _reconciled(h: Harness, monkeypatch: pytest.MonkeyPatch, store: Any, limit: int | None) -> Any:
    """A reconcile keeping its plan, in shards of `limit` records (or one pass)."""
    shards: list[str] = []

    def counted(job: Any, pair: str) -> Iterator[Any]:
        for shard in read_shards(job, pair, **({"limit": limit} if limit else {})):
            shards.append(pair)
            yield shard

    monkeypatch.setattr(reconciling, "read_shards", counted)
    job = open_job(store, connectors(h.sb), datetime.now(UTC))
    done = reconciling.reconcile(job, None, keep_plan=True)
    monkeypatch.undo()
    assert shards.count("person") > (3 if limit else 0)
    return done


def _associations(done: Any) -> list[tuple[str, ...]]:
    return sorted(
        (a.from_object, a.from_id, a.from_source, a.to_id, a.to_source)
        for a in done.outcome.plan.associations
    )


def test_a_missing_company_association_is_drift_and_apply_repairs_it(
    h: Harness, tmp_path: Path
) -> None:
    contact, company = _ends(h)
    assert company in _associated(h, contact)
    _hubspot(h).dissociate("contacts", "companies", [(contact, company)])
    dry = _run(h, tmp_path)
    assert dry["objects"]["person"]["associations"] == 1
    assert company not in _associated(h, contact)  # a dry reconcile writes nothing
    page = tmp_path / "fixed.html"
    fixed = _run(h, tmp_path, "--apply", "--report", str(page))
    assert fixed["objects"]["person"]["associations"] == 1
    assert company in _associated(h, contact)
    written = h.store.journal_for_run(fixed["run_id"], "written")
    assert [(e.record_id, e.field, e.after) for e in written] == [
        (contact, FIELD_PREFIX + "companies", company)
    ]
    shown = parse_page(page.read_text())
    assert_page_matches(shown, json.loads(page.with_suffix(".json").read_text()))
    again = _run(h, tmp_path)
    assert {name: t["associations"] for name, t in again["objects"].items()} == {
        "company": 0,
        "person": 0,
        "deal": 0,
    }


def test_the_table_shows_the_association_figure(h: Harness, tmp_path: Path) -> None:
    variables = {**env(h.sb, h.state_url), "CRMOPS_REPORTS_DIR": str(tmp_path)}
    result = runner.invoke(app, ["reconcile"], env=variables)
    assert result.exit_code == exit_codes.OK, result.output
    assert "associations missing in HS" in result.stdout


def test_shards_plan_the_associations_of_one_pass(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    contact, company = _ends(h)
    _hubspot(h).dissociate("contacts", "companies", [(contact, company)])
    whole = _reconciled(h, monkeypatch, h.store, None)
    cut = _reconciled(h, monkeypatch, h.store, SMALL)
    assert _associations(whole) == [("contacts", contact, "", company, "")]
    assert _associations(cut) == _associations(whole)
    assert cut.tallies["person"].associations == whole.tallies["person"].associations == 1


def test_on_a_fresh_store_dry_shards_count_what_one_pass_plans(
    h: Harness, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    salesforce = connectors(h.sb)["salesforce"]
    firm = salesforce.create("Account", [WriteRow({"Name": "Brand New Drains Ltd"})])[0]
    person = {"LastName": "Newcomb", "Email": "newcomb@drains.example", "AccountId": firm.id}
    made = salesforce.create("Contact", [WriteRow(person)])[0]
    assert firm.ok and made.ok, (firm, made)
    fresh = Harness(h.sb, tmp_path, name="fresh.db")
    try:
        whole = _reconciled(h, monkeypatch, fresh.store, None)
        cut = _reconciled(h, monkeypatch, fresh.store, SMALL)
        planned = _associations(whole)
        # both ends created by the same plan: named by their Salesforce ids
        assert ("contacts", "", made.id, "", firm.id) in planned
        assert _associations(cut) == planned
        job = open_job(fresh.store, connectors(h.sb), datetime.now(UTC))
        dry = reconciling.reconcile(job, None)
        assert not dry.outcome.plan.associations
        counted = {p: t.associations for p, t in dry.tallies.items()}
        assert counted == {p: t.associations for p, t in whole.tallies.items()}
        assert sum(counted.values()) == len(planned)
    finally:
        fresh.close()
