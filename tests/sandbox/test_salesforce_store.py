"""The file-backed org: state survives a restart, and seed data loads when size > 0."""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.app import json_body
from sandbox.http import Request
from sandbox.options import SandboxOptions
from sandbox.salesforce.app import SalesforceApp

AUTH = {"Authorization": "Bearer sid"}
V = "/services/data/v59.0"


def test_file_backed_org_survives_a_restart(tmp_path: Path) -> None:
    options = SandboxOptions(size=0, db_path=tmp_path / "sandbox.db")
    first = SalesforceApp(options, "sid")
    body = json.dumps({"LastName": "Kept", "Company": "X"}).encode()
    created = first.dispatch(Request("POST", f"{V}/sobjects/Lead/", AUTH, body))
    assert created.status == 201
    first.close()
    assert (tmp_path / "sandbox.salesforce.db").exists()
    second = SalesforceApp(options, "sid")
    found = second.dispatch(Request("GET", f"{V}/query/?q=SELECT+LastName+FROM+Lead", AUTH))
    assert [r["LastName"] for r in json_body(found)["records"]] == ["Kept"]
    second.close()


def test_seed_data_loads_with_size(tmp_path: Path) -> None:
    app = SalesforceApp(SandboxOptions(size=12), "sid")
    counts = app.describe()
    assert counts["Lead"] > 0 and counts["User"] > 1 and counts["Organization"] == 1
    answer = app.dispatch(Request("GET", f"{V}/query/?q=SELECT+Id,Owner.Email+FROM+Lead", AUTH))
    assert json_body(answer)["totalSize"] == counts["Lead"]
    app.close()
