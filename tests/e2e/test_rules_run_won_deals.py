"""`has_won_deal` is derived for the leads a rules pass reads: Salesforce and HubSpot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from integrations.base import WriteRow
from rules.lead import CanonicalLead
from sync import rules_deals
from sync.rules_pass import SystemPass
from sync.rules_systems import SPECS
from sync.rulesjob import RulesContext
from tests.e2e import rules_support as rs
from tests.e2e.support import admin


def _pass(context: RulesContext, system: str) -> SystemPass:
    owners, stage_ids, mapped = context.prepare(system)  # type: ignore[arg-type]
    return SystemPass(
        context.store, context.connectors[system], SPECS[system], context.compiled, mapped,  # type: ignore[index]
        owners, stage_ids, rs.now(), True, True,
    )  # fmt: skip


def _won_flags(context: RulesContext, system: str) -> dict[str, bool | None]:
    """Record id -> the has_won_deal the rules saw, for every lead read in a full pass."""
    plans = _pass(context, system).collect("lead").plans
    return {
        p.item.record_id: p.item.canonical.has_won_deal
        for p in plans
        if isinstance(p.item.canonical, CanonicalLead)
    }


def _convert(running: Any, sf: Any, count: int, **options: Any) -> list[dict[str, Any]]:
    """Convert `count` leads (those the sandbox refuses, e.g. with an inactive owner, skipped)."""
    done: list[dict[str, Any]] = []
    for lead in sf.read_all("Lead", ["IsConverted"]):
        if len(done) == count:
            break
        if lead.fields.get("IsConverted"):
            continue
        try:
            done.append(
                admin(running, "salesforce", "convert_lead", {"lead_id": lead.id, **options})
            )
        except requests.HTTPError:
            continue
    return done


def test_salesforce_converted_lead_with_a_won_opportunity(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    sf = context.connectors["salesforce"]
    converted, opened = _convert(running, sf, 2)
    won, open_ = converted["leadId"], opened["leadId"]
    sf.update("Opportunity", [WriteRow({"StageName": "Closed Won"}, id=converted["opportunityId"])])
    leads = sf.read_all("Lead", ["IsConverted"])
    plain = next(r.id for r in leads if not r.fields.get("IsConverted"))

    flags = _won_flags(context, "salesforce")

    assert flags[won] is True
    assert flags[open_] is False
    assert flags[plain] is False  # not converted: no opportunity yet


def test_salesforce_reads_it_with_the_lead_at_no_extra_call(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    sf = context.connectors["salesforce"]
    done = _convert(running, sf, 2)
    sf.update("Opportunity", [WriteRow({"StageName": "Closed Won"}, id=done[0]["opportunityId"])])
    rs.reset_counts(running)

    flags = _won_flags(context, "salesforce")

    assert flags[done[0]["leadId"]] is True
    # The owners' query and the leads' query: nothing more for the converted leads.
    assert sum(rs.counts(running)["salesforce"].values()) == 2


class _WithoutAssociationReads:
    """A HubSpot connector as one without `read_associations` would be."""

    def __init__(self, connector: Any) -> None:
        self._connector = connector

    def __getattr__(self, name: str) -> Any:
        if name == "read_associations":
            raise AttributeError(name)
        return getattr(self._connector, name)


def test_hubspot_contact_with_a_closed_won_deal(make_sandbox: Any, tmp_path: Path) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    hs: Any = context.connectors["hubspot"]
    _, stage_ids, _ = context.prepare("hubspot")
    contacts = [r.id for r in hs.read_all("contacts", ["email"])]
    won, lost = contacts[0], contacts[1]
    deals = hs.create(
        "deals",
        [
            WriteRow({"dealname": "Roof", "dealstage": stage_ids["Closed Won"]}),
            WriteRow({"dealname": "Gutter", "dealstage": stage_ids["Closed Lost"]}),
        ],
    )
    hs.associate("deals", "contacts", [(deals[0].id, won), (deals[1].id, lost)])
    rs.reset_counts(running)

    flags = _won_flags(context, "hubspot")

    assert flags[won] is True
    assert flags[lost] is False
    calls = rs.counts(running)["hubspot"]
    reads = sum(n for endpoint, n in calls.items() if "associations" in endpoint)
    assert reads == -(-len(flags) // 100)  # 100 contacts per association read


def _won_and_lost_deals(context: RulesContext, contacts: list[str], won: int) -> None:
    """`won` deals at Closed Won, one contact each, and a lost one on the contact after."""
    hs: Any = context.connectors["hubspot"]
    _, stage_ids, _ = context.prepare("hubspot")
    rows = [
        WriteRow({"dealname": f"Won {i}", "dealstage": stage_ids["Closed Won"]}) for i in range(won)
    ]
    rows.append(WriteRow({"dealname": "Lost", "dealstage": stage_ids["Closed Lost"]}))
    deals = [d.id for d in hs.create("deals", rows)]
    hs.associate("deals", "contacts", list(zip(deals, contacts, strict=False)))


LARGE = 400  # people per system: about 400 contacts, 5 association reads from their side


def _large_portal(
    make_sandbox: Any, tmp_path: Path, won: int
) -> tuple[Any, RulesContext, list[str]]:
    """A sandbox of LARGE people, `won` won deals on the first contacts, counters at zero."""
    running = rs.start(make_sandbox, size=LARGE)
    context = rs.context(running, tmp_path / "state.db")
    hs: Any = context.connectors["hubspot"]
    contacts = [r.id for r in hs.read_all("contacts", ["email"])]
    _won_and_lost_deals(context, contacts, won=won)
    rs.reset_counts(running)
    return running, context, contacts


def _association_reads(running: Any) -> int:
    calls = rs.counts(running)["hubspot"]
    return sum(n for endpoint, n in calls.items() if "associations" in endpoint)


def test_hubspot_a_large_pass_asks_from_the_won_deals_with_the_same_answer(
    make_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    running, context, contacts = _large_portal(make_sandbox, tmp_path, won=3)
    from_contacts = _won_flags(context, "hubspot")  # under DEALS_SIDE_FROM contacts
    assert all(from_contacts[c] for c in contacts[:3]) and from_contacts[contacts[3]] is False
    assert _association_reads(running) == -(-len(from_contacts) // 100) > 3

    monkeypatch.setattr(rules_deals, "DEALS_SIDE_FROM", 1)  # the pass counts as large
    rs.reset_counts(running)
    from_deals = _won_flags(context, "hubspot")

    assert from_deals == from_contacts
    assert _association_reads(running) == 1  # three won deals: one read, whatever the contacts
    assert rs.counts(running)["hubspot"].get("objects.batch.read", 0) == 0  # no stage read


def test_hubspot_many_won_deals_go_the_contacts_way_after_one_search(
    make_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More won deals than the contacts' side would cost calls to read from theirs.
    running, context, contacts = _large_portal(make_sandbox, tmp_path, won=LARGE - 10)
    from_contacts = _won_flags(context, "hubspot")
    plain = rs.counts(running)["hubspot"]

    monkeypatch.setattr(rules_deals, "DEALS_SIDE_FROM", 1)  # the pass counts as large
    rs.reset_counts(running)
    flags = _won_flags(context, "hubspot")
    looked = rs.counts(running)["hubspot"]

    assert flags == from_contacts and all(flags[c] for c in contacts[: LARGE - 10])
    assert _association_reads(running) == -(-len(flags) // 100)  # the contacts' side
    # The won deals' first page said too many: one search more, no further page.
    assert looked["objects.search"] == plain.get("objects.search", 0) + 1


def test_hubspot_without_association_reads_leaves_it_unknown(
    make_sandbox: Any, tmp_path: Path
) -> None:
    running = rs.start(make_sandbox)
    context = rs.context(running, tmp_path / "state.db")
    bare = _WithoutAssociationReads(context.connectors["hubspot"])
    context.connectors["hubspot"] = bare  # type: ignore[assignment]
    assert set(_won_flags(context, "hubspot").values()) == {None}
