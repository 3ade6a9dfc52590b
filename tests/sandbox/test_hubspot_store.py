"""The file-backed portal: records and created properties survive a restart on the same file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sandbox.app import json_body
from sandbox.http import Request
from sandbox.hubspot.app import HubSpotApp
from sandbox.options import SandboxOptions

AUTH = {"Authorization": "Bearer tok", "Content-Type": "application/json"}
PROPERTY = {
    "name": "crmops_score",
    "label": "score",
    "type": "number",
    "fieldType": "number",
    "groupName": "contactinformation",
}


def _post(app: HubSpotApp, path: str, body: Any) -> int:
    return app.dispatch(Request("POST", path, AUTH, json.dumps(body).encode())).status


def test_file_backed_portal_survives_a_restart(tmp_path: Path) -> None:
    options = SandboxOptions(size=0, rate_limits=False, db_path=tmp_path / "sandbox.db")
    first = HubSpotApp(options, "tok")
    assert _post(first, "/crm/v3/properties/contacts", PROPERTY) == 201
    body = {"properties": {"email": "kept@x.com", "crmops_score": "7"}}
    assert _post(first, "/crm/v3/objects/contacts", body) == 201
    first.close()
    assert (tmp_path / "sandbox.db").exists()
    second = HubSpotApp(options, "tok")
    path = "/crm/v3/objects/contacts/kept%40x.com?idProperty=email&properties=crmops_score"
    found = json_body(second.dispatch(Request("GET", path, AUTH)))
    assert found["properties"]["crmops_score"] == "7"
    second.close()
