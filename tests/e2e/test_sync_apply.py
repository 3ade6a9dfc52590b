"""Saved plans through the CLI (apply exactly, refuse expired, re-plan moved records) and undo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from commands import exit_codes
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from tests.e2e.support import Harness, admin, env

runner = CliRunner()
LEAD, CONTACT = "00Q5e0000000001EAA", "51000000001"  # Siobhán O'Brien, linked by email


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=6, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("apply"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def cli(h: Harness, *args: str) -> Any:
    result = runner.invoke(app, list(args), env=env(h.sb, h.state_url))
    return result


def edit_sf(h: Harness, **fields: Any) -> None:
    admin(h.sb, "salesforce", "edit_as_other_user", {"id": LEAD, "fields": fields})


def edit_hs(h: Harness, **properties: Any) -> None:
    admin(
        h.sb,
        "hubspot",
        "hubspot/edit",
        {"type": "contacts", "id": CONTACT, "properties": properties},
    )


def contact(h: Harness, *props: str) -> dict[str, Any]:
    return h.one("hubspot", "contacts", CONTACT, list(props))


def lead(h: Harness, *fields: str) -> dict[str, Any]:
    return h.one("salesforce", "Lead", LEAD, list(fields))


def test_apply_does_exactly_what_the_saved_plan_said(shared: Harness, tmp_path: Path) -> None:
    edit_sf(shared, Title="Roof Inspector")
    plan = tmp_path / "plan.json"
    saved = cli(shared, "sync", "--plan-out", str(plan), "--json")
    assert saved.exit_code == 0, saved.output
    assert json.loads(saved.output)["plan"]["field_changes.hubspot"] == 1
    edit_sf(shared, Phone="+1 305 555 0199")  # after the plan: not in it
    applied = cli(shared, "apply", str(plan), "--json")
    assert applied.exit_code == 0, applied.output
    run_id = json.loads(applied.output)["run_id"]
    written = [
        (e.system, e.record_id, e.field, e.after)
        for e in shared.store.journal_for_run(run_id, "written")
    ]
    assert written == [("hubspot", CONTACT, "title", "Roof Inspector")]
    assert contact(shared, "jobtitle", "phone")["phone"] != "+1 305 555 0199"
    shared.sync()  # the phone edit goes with the next sync


def test_apply_of_a_saved_plan_stores_bases_and_cursors_like_a_sync(
    shared: Harness, tmp_path: Path
) -> None:
    # Both sides edited to one value: nothing to write, but the new value is the base.
    edit_sf(shared, Title="Gutter Lead")
    edit_hs(shared, jobtitle="Gutter Lead")
    before = shared.store.cursor("salesforce", "Lead")
    plan = tmp_path / "plan.json"
    assert cli(shared, "sync", "--plan-out", str(plan)).exit_code == 0
    assert shared.store.cursor("salesforce", "Lead") == before  # saving applies nothing
    saved = json.loads(plan.read_text())["finish"]
    applied = cli(shared, "apply", str(plan), "--json")
    assert applied.exit_code == 0, applied.output
    stable = shared.store.links_for_ids("salesforce", [LEAD])[LEAD].stable_id
    assert shared.store.bases_for([stable])[stable]["title"] == "Gutter Lead"
    reached = shared.store.cursor("salesforce", "Lead")
    assert reached is not None and before is not None and reached > before
    assert [reached.modified.isoformat(), reached.record_id] in [
        [c[2]["$datetime"], c[3]] for c in saved["cursors"] if c[:2] == ["salesforce", "Lead"]
    ]


def test_dry_run_prints_the_plan_and_writes_nothing(shared: Harness) -> None:
    edit_sf(shared, Title="Dry Roofer")
    shown = cli(shared, "sync", "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert "title" in shown.output and "Dry Roofer" in shown.output
    assert contact(shared, "jobtitle")["jobtitle"] != "Dry Roofer"
    shared.sync()
    assert contact(shared, "jobtitle")["jobtitle"] == "Dry Roofer"


def test_apply_refuses_an_expired_plan(shared: Harness, tmp_path: Path) -> None:
    edit_sf(shared, Title="Estimator")
    plan = tmp_path / "plan.json"
    assert cli(shared, "sync", "--plan-out", str(plan)).exit_code == 0
    body = json.loads(plan.read_text())
    body["expires_at"] = "2020-01-01T00:00:00+00:00"
    plan.write_text(json.dumps(body))
    refused = cli(shared, "apply", str(plan))
    assert refused.exit_code == exit_codes.BAD_INPUT
    assert "expired" in refused.output
    assert contact(shared, "jobtitle")["jobtitle"] != "Estimator"
    shared.sync()


def test_apply_replans_a_record_changed_since_the_plan(shared: Harness, tmp_path: Path) -> None:
    edit_sf(shared, Title="Surveyor")
    plan = tmp_path / "plan.json"
    assert cli(shared, "sync", "--plan-out", str(plan)).exit_code == 0
    edit_hs(shared, jobtitle="Site Surveyor")  # someone edits the target after the plan
    applied = cli(shared, "apply", str(plan), "--json")
    assert applied.exit_code == 0
    assert json.loads(applied.output)["applied"]["replanned"] == 1
    assert contact(shared, "jobtitle")["jobtitle"] == "Site Surveyor"
    shared.sync()
    assert lead(shared, "Title")["Title"] == "Site Surveyor"


def test_undo_restores_both_sides_and_skips_a_field_changed_since(shared: Harness) -> None:
    before = lead(shared, "Title", "Phone", "Status")
    edit_sf(shared, Title="Undo Me", Phone="+1 305 555 0142", Status="Qualified")
    run = shared.sync()
    assert contact(shared, "lifecyclestage")["lifecyclestage"] == "salesqualifiedlead"
    edit_hs(shared, phone="+1 305 555 0143")  # changed since the run: undo leaves it
    dry = cli(shared, "undo", str(run.run_id), "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert lead(shared, "Title")["Title"] == "Undo Me"
    done = cli(shared, "undo", str(run.run_id), "--json")
    assert done.exit_code == 0, done.output
    skipped = [(s["system"], s["field"]) for s in json.loads(done.output)["skipped"]]
    assert skipped == [("hubspot", "phone")]
    undo_run = shared.store.runs(1)[0]
    assert undo_run.kind == "undo"
    assert {e.state for e in shared.store.journal_for_run(undo_run.id)} == {"written"}
    assert {e.state for e in shared.store.journal_for_run(run.run_id or 0)} >= {"undone"}
    assert lead(shared, "Title", "Status") == {k: before[k] for k in ("Title", "Status")}
    assert contact(shared, "jobtitle", "phone", "lifecyclestage", "hs_lead_status") == {
        "jobtitle": before["Title"],
        "phone": "+1 305 555 0143",
        "lifecyclestage": "marketingqualifiedlead",  # moved back: cleared, then set
        "hs_lead_status": "CONNECTED",
    }
    changed = {(u.system, c.field) for u in shared.sync().plan.updates for c in u.changes}
    assert changed == {("salesforce", "phone")}


def test_runs_list_and_show(shared: Harness) -> None:
    listed = cli(shared, "runs", "list", "--json")
    assert listed.exit_code == 0
    runs = json.loads(listed.output)
    assert {"sync", "apply", "undo"} <= {r["kind"] for r in runs}
    assert all(set(r["api_calls"]) == {"salesforce", "hubspot"} for r in runs)
    shown = cli(shared, "runs", "show", str(runs[-1]["id"]))
    assert shown.exit_code == 0 and "journal of run" in shown.output
    assert cli(shared, "runs", "show", "9999").exit_code == exit_codes.BAD_INPUT
