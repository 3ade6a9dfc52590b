"""The delete sweep of both connectors: deletes/archives and merges, through the real SDKs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from integrations.base import WriteRow
from sandbox.salesforce import orgops
from tests.connectors import hubspot_support as hs_support
from tests.connectors import sf_support


def test_salesforce_sweep_finds_api_deletes_and_merges_after_since(make_sandbox: Any) -> None:
    sb = sf_support.sandbox(make_sandbox)
    sf = sf_support.connector(sb)
    made = sf.create("Lead", [WriteRow({"LastName": f"L{n}", "Company": "Acme"}) for n in range(4)])
    keep, deleted, loser, untouched = (r.id or "" for r in made)
    since = sb.salesforce.clock.now() - timedelta(seconds=1)
    sf.sf.restful(f"sobjects/Lead/{deleted}", method="DELETE")  # through the SDK
    orgops.merge(sb.salesforce.org, keep, [loser])
    swept = {d.id: d for d in sf.deletions("Lead", since)}
    assert set(swept) == {deleted, loser}
    assert swept[loser].merged_into == keep and swept[deleted].merged_into is None
    assert all(d.when is not None and d.when >= since for d in swept.values())
    live = {r.id for r in sf.read_all("Lead", ["LastName"])}
    assert live == {keep, untouched}
    later = max(d.when for d in swept.values() if d.when) + timedelta(seconds=1)
    assert list(sf.deletions("Lead", later)) == []


def _merge(sb: Any, kind: str, winner: str, loser: str) -> None:
    """Merge through the public endpoint (the SDK has no merge API for every object)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = sb.ca_bundle
    session.headers["Authorization"] = f"Bearer {sb.hubspot_token}"
    answer = session.post(
        f"{sb.hubspot_url}/crm/v3/objects/{kind}/merge",
        json={"primaryObjectId": winner, "objectIdToMerge": loser},
    )
    assert answer.status_code == 200, answer.text


def test_hubspot_sweep_finds_archived_and_merged_records(make_sandbox: Any) -> None:
    sb = make_sandbox(size=0, rate_limits=False)
    hs = hs_support.connector(sb)
    made = hs.create("companies", [WriteRow({"name": f"Co {n}"}) for n in range(4)])
    keep, archived, loser, untouched = (r.id or "" for r in made)
    since = sb.hubspot.clock.now() - timedelta(seconds=1)
    hs.transport.sdk.crm.objects.batch_api.archive("companies", {"inputs": [{"id": archived}]})
    _merge(sb, "companies", keep, loser)
    sb.hubspot.clock.advance(sb.options.search_lag_seconds + 1)  # the merge is searchable
    swept = {d.id: d for d in hs.deletions("companies", since)}
    assert set(swept) == {archived, loser}
    assert swept[loser].merged_into == keep and swept[archived].merged_into is None
    assert all(d.when is not None and d.when >= since for d in swept.values())
    assert {r.id for r in hs.read_all("companies", ["name"])} == {keep, untouched}
    later = max(d.when for d in swept.values() if d.when) + timedelta(seconds=1)
    assert list(hs.deletions("companies", later)) == []
    # Tasks are never merged: their sweep is the archived list alone (one call).
    before = hs_support.calls(sb)
    assert list(hs.deletions("tasks", None)) == []
    assert hs_support.calls(sb) == before + 1
