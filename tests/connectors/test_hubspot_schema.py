"""HubSpot schema and portal metadata through the real SDK: describe, provision, stages, owners."""

from __future__ import annotations

from typing import Any

import pytest

from integrations.base import FieldSpec
from integrations.provisioning import HUBSPOT_PROPERTIES
from tests.connectors.hubspot_support import calls, connector


@pytest.fixture
def sb(make_sandbox: Any) -> Any:
    return make_sandbox(size=10)


def test_describe_reports_types_options_and_read_only(sb: Any) -> None:
    fields = connector(sb).describe("contacts")
    assert fields["email"].unique and fields["email"].updateable
    assert not fields["hs_analytics_num_visits"].updateable
    assert "Website" in fields["lead_source"].picklist and fields["lead_source"].restricted
    assert "crmops_score" not in fields


def test_provision_dry_run_then_for_real_then_nothing_left(sb: Any) -> None:
    hs = connector(sb)
    planned = hs.provision(HUBSPOT_PROPERTIES, dry_run=True)
    assert len(planned) == len(HUBSPOT_PROPERTIES) and all(p.startswith("would") for p in planned)
    assert "crmops_score" not in hs.describe("contacts")
    done = hs.provision(HUBSPOT_PROPERTIES, dry_run=False)
    assert [d.split()[1] for d in done] == [f"{s.object}.{s.name}" for s in HUBSPOT_PROPERTIES]
    described = hs.describe("tasks")["crmops_key"]
    assert described.unique and described.custom
    before = calls(sb, "properties.create")
    assert hs.provision(HUBSPOT_PROPERTIES, dry_run=False) == []
    assert calls(sb, "properties.create") == before


def test_provision_picklist_options(sb: Any) -> None:
    hs = connector(sb)
    spec = FieldSpec("deals", "crmops_band", "picklist", "crmops band", picklist=("A", "B"))
    hs.provision([spec], dry_run=False)
    assert hs.describe("deals")["crmops_band"].picklist == ("A", "B")


def test_deal_stage_ids_are_this_portals(sb: Any) -> None:
    stages = connector(sb).deal_stage_ids()
    assert stages == sb.hubspot.stage_ids()
    assert "Closed Won" in stages


def test_owners_carry_id_email_user_and_archived(sb: Any) -> None:
    owners = connector(sb).owners()
    assert owners and {"id", "email", "userId", "archived"} <= set(owners[0])
    assert {o["id"] for o in owners} == {o["id"] for o in sb.hubspot.owners()}
