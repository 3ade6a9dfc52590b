"""Undo of a run's company associations, end to end on the sandbox with the real SDKs.

A sync carries Salesforce `AccountId` to HubSpot as associations and never writes
`AccountId`: undo removes the association the run made and lists the `AccountId`
behind it as skipped (not written; or changed since the run).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from sandbox.options import SandboxOptions
from sandbox.runtime import Sandbox
from sync.apply_associations import FIELD_PREFIX
from sync.runs import undo_saved
from sync.undo_references import CHANGED, NOT_WRITTEN
from tests.e2e.support import Harness, admin, connectors, env

CONTACT = "0035e0000000003AAA"  # linked by email to a HubSpot contact, has an account
OPPORTUNITY = "0065e0000000005AAA"  # on a business account; its deal is created by the sync


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with Sandbox(SandboxOptions(size=20, rate_limits=False, search_lag_seconds=0)) as sb:
        harness = Harness(sb, tmp_path_factory.mktemp("undo_associations"))
        assert harness.sync().exit_code == 0
        yield harness
        harness.close()


def account(h: Harness, object: str, record_id: str) -> str:
    return str(h.one("salesforce", object, record_id, ["AccountId"])["AccountId"])


def move(h: Harness, record_id: str, account_id: str) -> None:
    body = {"id": record_id, "fields": {"AccountId": account_id}}
    admin(h.sb, "salesforce", "edit_as_other_user", body)


def other_accounts(h: Harness, *but: str) -> list[str]:
    return [
        x.record_id for x in h.store.links_of("salesforce", "Account") if x.record_id not in but
    ]


def associated(h: Harness, object: str, record_id: str) -> list[str]:
    hubspot: Any = connectors(h.sb)["hubspot"]
    return list(hubspot.read_associations(object, "companies", [record_id]).get(record_id, []))


def undo(h: Harness, run_id: int, dry_run: bool) -> Any:
    report, _ = undo_saved(h.store, connectors(h.sb), run_id, dry_run, datetime.now(UTC))
    return report


def skipped(report: Any) -> list[tuple[str, str, str, str, Any]]:
    return [(s["object"], s["record_id"], s["field"], s["why"], s["now"]) for s in report.skipped]


def test_undo_removes_the_association_and_lists_the_account_it_did_not_write(h: Harness) -> None:
    contact = h.partner("salesforce", CONTACT)
    old = account(h, "Contact", CONTACT)
    new = other_accounts(h, old)[0]
    company = h.partner("salesforce", new)
    move(h, CONTACT, new)
    run = h.sync()
    assert company in associated(h, "contacts", contact)
    journal = h.store.journal_for_run(run.run_id or 0, "written")
    assert [(e.system, e.field) for e in journal] == [("hubspot", FIELD_PREFIX + "companies")]

    dry = undo(h, run.run_id or 0, True)
    assert [(r["record_id"], r["field"]) for r in dry.restored] == [
        (contact, FIELD_PREFIX + "companies")
    ]
    assert skipped(dry) == [("Contact", CONTACT, "AccountId", NOT_WRITTEN, new)]
    assert company in associated(h, "contacts", contact)  # a dry run changes nothing

    done = undo(h, run.run_id or 0, False)
    assert skipped(done) == skipped(dry)
    assert company not in associated(h, "contacts", contact)
    assert account(h, "Contact", CONTACT) == new
    assert {e.state for e in h.store.journal_for_run(run.run_id or 0)} == {"undone"}
    assert h.sync().plan.associations == []  # the record is not read again: undo holds
    move(h, CONTACT, old)
    h.sync()


def test_an_account_changed_since_the_run_is_listed_as_changed(h: Harness) -> None:
    deal = h.partner("salesforce", OPPORTUNITY)
    old = account(h, "Opportunity", OPPORTUNITY)
    new, later = other_accounts(h, old)[:2]
    move(h, OPPORTUNITY, new)
    run = h.sync()
    assert h.partner("salesforce", new) in associated(h, "deals", deal)
    move(h, OPPORTUNITY, later)  # someone moves it again before the undo

    done = undo(h, run.run_id or 0, False)
    assert skipped(done) == [("Opportunity", OPPORTUNITY, "AccountId", CHANGED, later)]
    assert h.partner("salesforce", new) not in associated(h, "deals", deal)
    assert account(h, "Opportunity", OPPORTUNITY) == later
    move(h, OPPORTUNITY, old)
    h.sync()


def test_undo_dry_run_on_the_command_line_lists_both_sides(h: Harness) -> None:
    contact = h.partner("salesforce", CONTACT)
    old = account(h, "Contact", CONTACT)
    new = other_accounts(h, old)[-1]
    move(h, CONTACT, new)
    run = h.sync()
    shown = CliRunner().invoke(
        app, ["undo", str(run.run_id), "--dry-run"], env=env(h.sb, h.state_url)
    )
    assert shown.exit_code == 0, shown.output
    assert f"would restore hubspot contacts {contact} {FIELD_PREFIX}companies" in shown.output
    assert f"skipped salesforce Contact {CONTACT} AccountId: {NOT_WRITTEN}" in shown.output
    listed = CliRunner().invoke(
        app, ["undo", str(run.run_id), "--json"], env=env(h.sb, h.state_url)
    )
    assert listed.exit_code == 0, listed.output
    assert [s["field"] for s in json.loads(listed.output)["skipped"]] == ["AccountId"]
    assert h.partner("salesforce", new) not in associated(h, "contacts", contact)
