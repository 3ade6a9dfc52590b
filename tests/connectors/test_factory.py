"""The factory: connectors on a sandbox follow its clock and lag; the org zone reaches tasks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from config.settings import HubSpotSettings, SalesforceAuth, SalesforceSettings, Settings
from integrations import factory
from integrations.base import TaskSpec, WriteRow
from integrations.salesforce import SalesforceConnector
from integrations.sf_writes import task_fields

CHICAGO = "America/Chicago"


def test_connect_sandbox_reads_on_the_sandboxes_clock_and_lag(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False, search_lag_seconds=7)
    _, hs = factory.connect_sandbox(sb)
    assert hs.settings.search_lag_seconds == 7
    assert abs((hs.now() - sb.hubspot.clock.now()).total_seconds()) < 1
    made = hs.create("contacts", [WriteRow({"email": "fresh@example.com"})])
    # Inside the lag the record is not searchable yet; the next run, 8 s on, reads it.
    assert list(hs.changed_since("contacts", None, ["email"])) == []
    sb.hubspot.clock.advance(8)
    found = list(hs.changed_since("contacts", None, ["email"]))
    assert [r.id for r in found] == [made[0].id]


def test_the_org_zone_reaches_salesforce_task_dates(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False)
    sf, _ = factory.connect_sandbox(sb, time_zone=CHICAGO)
    assert sf.time_zone == ZoneInfo(CHICAGO)
    sf_default, _ = factory.connect_sandbox(sb)
    assert sf_default.time_zone == ZoneInfo("UTC")
    settings = Settings(
        salesforce=SalesforceSettings(
            auth=SalesforceAuth.SESSION,
            instance_url=sb.salesforce_url,
            session_id=sb.salesforce_session_id,
        ),
        hubspot=HubSpotSettings(access_token=sb.hubspot_token, host=sb.hubspot_url),
        ca_bundle=sb.ca_bundle,
    )
    built = factory.connect(settings, "salesforce", time_zone=CHICAGO)
    assert isinstance(built, SalesforceConnector)
    due = datetime(2026, 3, 11, 3, 30, tzinfo=UTC)  # still the 10th in Chicago
    task = TaskSpec("k", "Call", due, "High", None)
    assert task_fields(task, built.time_zone)["ActivityDate"] == "2026-03-10"
    # HubSpot stores the exact due instant: the zone is accepted and not needed.
    assert factory.connect(settings, "hubspot", time_zone=CHICAGO).system == "hubspot"
