"""Load a file-backed HubSpot sandbox with N people and time list and search pages.

Usage: python benchmarks/hubspot_sandbox_scale.py [SIZE] [DB_FILE]
Rate limits and search lag are turned off here (they would only add 429s and hide
fresh records); the timings are of the store and the search compiler.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sandbox.http import Request
from sandbox.hubspot.app import HubSpotApp
from sandbox.options import SandboxOptions

TOKEN = "bench"


def call(app: HubSpotApp, method: str, path: str, body: Any = None) -> tuple[float, Any]:
    """One request through the app (no network), timed in ms."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    raw = json.dumps(body).encode() if body is not None else b""
    started = time.perf_counter()
    response = app.dispatch(Request(method, path, headers, raw))
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status == 200, (path, response.status, response.body)
    return elapsed, response.body


def cursor_search(stamp: str, last_id: str) -> dict[str, Any]:
    """The incremental-sync query: modified >= stamp with an id tie-break, sorted ascending."""
    return {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "lastmodifieddate", "operator": "EQ", "value": stamp},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": last_id},
                ]
            },
            {"filters": [{"propertyName": "lastmodifieddate", "operator": "GT", "value": stamp}]},
        ],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "limit": 200,
    }


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    db = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(tempfile.mkdtemp()) / "hubspot.db"
    options = SandboxOptions(size=size, db_path=db, rate_limits=False, search_lag_seconds=0)
    started = time.perf_counter()
    app = HubSpotApp(options, TOKEN)
    print(f"load/open: {time.perf_counter() - started:.1f}s  {app.describe()}  file={db}")
    contacts = "/crm/v3/objects/contacts"
    ms, page = call(app, "GET", contacts + "?limit=100")
    print(f"list first page: {ms:.1f} ms")
    ms, _ = call(
        app, "GET", contacts + f"?limit=100&after={int(page['results'][-1]['id']) + size // 2}"
    )
    print(f"list deep page: {ms:.1f} ms")
    ms, _ = call(app, "GET", contacts + "?limit=100&archived=true")
    print(f"list archived: {ms:.1f} ms")
    ms, found = call(
        app,
        "POST",
        contacts + "/search",
        {"sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}], "limit": 200},
    )
    print(f"search newest 200: {ms:.1f} ms (total {found['total']})")
    recent = found["results"][150]
    ms, found = call(
        app,
        "POST",
        contacts + "/search",
        cursor_search(recent["properties"]["lastmodifieddate"], recent["id"]),
    )
    print(f"search cursor (EQ+GT id | GT) sorted asc: {ms:.1f} ms (total {found['total']})")
    body = {
        "filterGroups": [
            {
                "filters": [
                    {
                        "propertyName": "lastmodifieddate",
                        "operator": "BETWEEN",
                        "value": "0",
                        "highValue": recent["properties"]["lastmodifieddate"],
                    }
                ]
            }
        ],
        "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
        "limit": 200,
    }
    ms, found = call(app, "POST", contacts + "/search", body)
    print(f"search BETWEEN over everything sorted asc: {ms:.1f} ms (total {found['total']})")
    by_name = {
        "filterGroups": [
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "nobody"}]}
        ]
    }
    ms, found = call(app, "POST", contacts + "/search", by_name)
    print(f"search firstname EQ (no index: full scan): {ms:.1f} ms (total {found['total']})")
    email = page["results"][0]["properties"]["email"]
    by_email = {
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ", "value": email}]}]
    }
    ms, found = call(app, "POST", contacts + "/search", by_email)
    print(f"search email EQ: {ms:.1f} ms (total {found['total']})")
    ms, found = call(app, "POST", contacts + "/search", {"limit": 100})
    print(f"search no filter, default order: {ms:.1f} ms (total {found['total']})")
    by_stage = {
        "filterGroups": [
            {"filters": [{"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"}]}
        ],
        "limit": 100,
    }
    ms, found = call(app, "POST", contacts + "/search", by_stage)
    print(f"search lifecyclestage EQ (expression index): {ms:.1f} ms (total {found['total']})")
    ms, _ = call(app, "GET", f"{contacts}/{email}?idProperty=email")
    print(f"get by email: {ms:.1f} ms")
    app.close()


if __name__ == "__main__":
    main()
