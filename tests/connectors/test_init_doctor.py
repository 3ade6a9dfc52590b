from __future__ import annotations

import json
import socket
from typing import Any

import pytest
from typer.testing import CliRunner

from cli import app
from config.settings import Settings
from integrations.doctor import diagnose
from integrations.provisioning import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS

runner = CliRunner()
TOOLING_CREATE = "tooling.customfield.create"


@pytest.fixture
def sb(make_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    running = make_sandbox(size=0, rate_limits=False)
    for name, value in {
        "CRMOPS_SALESFORCE__INSTANCE_URL": running.salesforce_url,
        "CRMOPS_SALESFORCE__SESSION_ID": running.salesforce_session_id,
        "CRMOPS_HUBSPOT__HOST": running.hubspot_url,
        "CRMOPS_HUBSPOT__ACCESS_TOKEN": running.hubspot_token,
        "CRMOPS_CA_BUNDLE": running.ca_bundle,
    }.items():
        monkeypatch.setenv(name, value)
    return running


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def doctor_json(*args: str) -> tuple[int, list[dict[str, Any]]]:
    result = run("doctor", "--json", *args)
    return result.exit_code, json.loads(result.stdout)["findings"]


def errors(findings: list[dict[str, Any]]) -> list[str]:
    return [
        f"{f['system']}: {f['message']} -> {f['fix']}" for f in findings if f["status"] == "error"
    ]


def test_init_dry_run_then_init_then_init_again_changes_nothing(sb: Any) -> None:
    preview = run("init", "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert "salesforce: would create Lead.Crmops_Score__c (Number)" in preview.stdout
    assert "hubspot: would create contacts.crmops_score (number)" in preview.stdout
    assert preview.stdout.count("would create") == len(SALESFORCE_FIELDS) + len(HUBSPOT_PROPERTIES)
    assert sb.salesforce.counter.snapshot().get(TOOLING_CREATE, 0) == 0

    first = run("init")
    assert first.exit_code == 0, first.output
    assert first.stdout.count("created") == len(SALESFORCE_FIELDS) + len(HUBSPOT_PROPERTIES)
    assert sb.salesforce.counter.snapshot()[TOOLING_CREATE] == len(SALESFORCE_FIELDS)

    sb.salesforce.counter.reset()
    sb.hubspot.counter.reset()
    second = run("init", "--json")
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout)["changes"] == {"salesforce": [], "hubspot": []}
    assert TOOLING_CREATE not in sb.salesforce.counter.snapshot()
    assert not any(k.startswith("POST") or "create" in k for k in sb.hubspot.counter.snapshot())


def test_doctor_reports_missing_fields_then_passes_after_init(sb: Any) -> None:
    code, findings = doctor_json()
    assert code == 2
    problems = errors(findings)
    assert (
        "salesforce: Lead.Crmops_Score__c is missing -> run `crmops init` "
        "(or `crmops init --dry-run` to preview)"
    ) in problems
    assert any(p.startswith("hubspot: contacts.crmops_score is missing") for p in problems)
    identity = [f["message"] for f in findings if f["check"] == "identity"]
    assert identity == [
        f"connected: org id {sb.options.org_id}",
        f"connected: portal id {sb.options.portal_id}",
    ]

    assert run("init").exit_code == 0
    code, findings = doctor_json()
    assert errors(findings) == []
    assert code == 0
    budget = next(f for f in findings if f["system"] == "salesforce" and f["check"] == "budget")
    assert budget["message"].endswith("of 1000000 API calls left today")


def test_doctor_names_a_read_only_field_and_a_picklist_value_the_org_refuses(sb: Any) -> None:
    assert run("init", "--crm", "salesforce").exit_code == 0
    report = diagnose(
        Settings(),
        systems=["salesforce"],
        writes={"salesforce": {"Lead": {"Contact_Verified_At__c", "Rating"}}},
        picklists={"salesforce": {"Lead.Status": {"Qualified", "Nurture Later"}}},
    )
    assert report.exit_code == 2
    found = [(f.check, f.message, f.fix) for f in report.findings if f.status == "error"]
    assert found == [
        (
            "permission",
            "Lead.Contact_Verified_At__c is read-only for the integration user, "
            "and crmops writes it",
            "grant Edit on Lead.Contact_Verified_At__c in field-level security (Setup > Object "
            "Manager > Lead > Fields > Contact_Verified_At__c > Set Field-Level Security), or map "
            "the field as read_only",
        ),
        (
            "picklist",
            "Lead.Status has no value 'Nurture Later' that crmops writes "
            "(restricted picklist refuses it)",
            "add 'Nurture Later' to Lead.Status's picklist values, or map the value to one of: "
            "Open - Not Contacted, Working - Contacted, Working - Engaged, Qualified, "
            "Appointment Set, Closed - Converted, Closed - Not Converted, Nurturing",
        ),
    ]


def test_doctor_reports_wrong_tokens_precisely(sb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMOPS_SALESFORCE__SESSION_ID", "00Dwrong!not-a-session")
    monkeypatch.setenv("CRMOPS_HUBSPOT__ACCESS_TOKEN", "pat-na1-wrong")
    result = run("doctor", "--json")
    assert result.exit_code == 2
    assert "not-a-session" not in result.stdout and "pat-na1-wrong" not in result.stdout
    problems = errors(json.loads(result.stdout)["findings"])
    assert problems[0] == (
        "salesforce: salesforce refused the credentials (salesforce 401 INVALID_SESSION_ID: "
        "Session expired or invalid) -> set a valid CRMOPS_SALESFORCE__SESSION_ID (or the "
        "variables of your auth flow); check it has not expired or been revoked"
    )
    assert problems[1].startswith("hubspot: hubspot refused the credentials (hubspot 401")
    assert problems[1].endswith(
        "-> set a valid CRMOPS_HUBSPOT__ACCESS_TOKEN; check it has not expired or been revoked"
    )


def test_doctor_exit_3_when_a_crm_cannot_be_reached(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CRMOPS_SALESFORCE__INSTANCE_URL", f"https://127.0.0.1:{port}")
    monkeypatch.setenv("CRMOPS_SALESFORCE__SESSION_ID", "00Dx!abc")
    code, findings = doctor_json("--crm", "salesforce")
    assert code == 3
    (problem,) = errors(findings)
    assert problem.startswith("salesforce: cannot reach salesforce (salesforce CONNECT_FAILED:")
    assert problem.endswith("-> check the instance URL / host, the network and CRMOPS_CA_BUNDLE")


def test_doctor_config_errors_name_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRMOPS_SALESFORCE__AUTH", "client_credentials")
    code, findings = doctor_json()
    assert code == 2
    assert "CRMOPS_SALESFORCE__CONSUMER_KEY" in errors(findings)[0]
    assert "CRMOPS_SALESFORCE__DOMAIN" in errors(findings)[0]


def test_init_without_config_exits_2_naming_the_variable() -> None:
    result = run("init", "--crm", "hubspot")
    assert result.exit_code == 2
    assert "CRMOPS_HUBSPOT__ACCESS_TOKEN" in result.output


def test_provisioning_constants_match_the_sandbox_schema() -> None:
    from fixtures.catalog import hubspot_schema, salesforce_schema

    kinds = {"double": "number", "string": "text", "textarea": "longtext"}
    expected = {
        (obj, name, "id" if spec.get("external_id") else kinds[spec["type"]], spec["label"])
        for obj, fields in salesforce_schema()["provisioned_by_crmops"].items()
        for name, spec in fields.items()
    }
    assert {(s.object, s.name, s.type, s.label) for s in SALESFORCE_FIELDS} == expected
    hs_kinds = {"number": "number", "text": "text", "textarea": "longtext"}
    expected_hs = {
        (
            obj,
            name,
            "id" if spec.get("hasUniqueValue") else hs_kinds[spec["fieldType"]],
            spec["label"],
        )
        for obj, props in hubspot_schema()["provisioned_by_crmops"].items()
        for name, spec in props.items()
    }
    assert {(s.object, s.name, s.type, s.label) for s in HUBSPOT_PROPERTIES} == expected_hs


def _missing_scope_body(scope: str) -> dict[str, Any]:
    """HubSpot's 403 for a call the private app has no scope for."""
    return {
        "status": "error",
        "message": "This app hasn't been granted all required scopes to make this call.",
        "category": "MISSING_SCOPES",
        "errors": [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredGranularScopes": [scope]},
            }
        ],
    }


def _answering(sb: Any, method: str, path: str, status: int, body: dict[str, Any]) -> None:
    """Make this sandbox answer one call as a real portal would (others pass through)."""
    from sandbox.http import Response

    passed = sb.hubspot.dispatch

    def dispatch(request: Any) -> Any:
        if (request.method, request.path) == (method, path):
            return Response(status, body)
        return passed(request)

    sb.hubspot.dispatch = dispatch


def test_doctor_names_the_scopes_the_private_app_lacks(sb: Any) -> None:
    """HubSpot lists the token's scopes: every one crmops needs and lacks is named."""
    from integrations.hubspot_scopes import REQUIRED_SCOPES, TOKEN_INFO_PATH

    lacking = {"crm.objects.deals.write", "crm.schemas.contacts.write"}
    granted = [s for s in REQUIRED_SCOPES if s not in lacking] + ["oauth"]
    _answering(sb, "POST", TOKEN_INFO_PATH, 200, {"hubId": 1, "scopes": granted})
    code, findings = doctor_json("--crm", "hubspot")
    assert code == 2
    (scopes,) = [f for f in findings if f["check"] == "scopes"]
    assert scopes["status"] == "error"
    assert scopes["message"] == (
        "the private app lacks scopes crmops needs: "
        "crm.objects.deals.write, crm.schemas.contacts.write"
    )
    assert scopes["fix"].startswith("add crm.objects.deals.write, crm.schemas.contacts.write in")
    _answering(sb, "POST", TOKEN_INFO_PATH, 200, {"hubId": 1, "scopes": list(REQUIRED_SCOPES)})
    _, findings = doctor_json("--crm", "hubspot")
    assert [f["status"] for f in findings if f["check"] == "scopes"] == ["ok"]


def test_doctor_probes_read_scopes_when_the_token_lists_none(sb: Any) -> None:
    """No token info (the sandbox has none): a refused read names its scope, writes warn."""
    _, findings = doctor_json("--crm", "hubspot")
    (unlisted,) = [f for f in findings if f["check"] == "scopes"]
    assert unlisted["status"] == "warn" and "crm.objects.deals.write" in unlisted["message"]
    body = _missing_scope_body("crm.objects.deals.read")
    _answering(sb, "GET", "/crm/v3/objects/deals", 403, body)
    code, findings = doctor_json("--crm", "hubspot")
    assert code == 2
    (scopes,) = [f for f in findings if f["check"] == "scopes"]
    assert scopes["message"] == "the private app lacks scopes crmops needs: crm.objects.deals.read"


def _total(counter: Any) -> int:
    return sum(counter.snapshot().values())


def test_init_and_doctor_end_with_the_api_calls_they_made(sb: Any) -> None:
    first = run("init", "--json")
    calls = json.loads(first.stdout)["api_calls"]
    assert sum(calls["salesforce"].values()) == _total(sb.salesforce.counter) > 0
    assert sum(calls["hubspot"].values()) == _total(sb.hubspot.counter) > 0
    sb.salesforce.counter.reset()
    sb.hubspot.counter.reset()
    again = run("init")
    last = again.stdout.strip().splitlines()[-1]
    assert last.startswith(f"API calls: salesforce {_total(sb.salesforce.counter)} (")
    assert f"; hubspot {_total(sb.hubspot.counter)} (" in last
    sb.hubspot.counter.reset()
    report = json.loads(run("doctor", "--json", "--crm", "hubspot").stdout)
    endpoints = report["api_calls"]["hubspot"]
    # Every call is counted; the token-info probe is the one the sandbox has no route for.
    assert endpoints.pop("POST /oauth/v2/private-apps/get/access-token-info") == 1
    assert sum(endpoints.values()) == _total(sb.hubspot.counter) > 0
    assert run("doctor", "--crm", "hubspot").stdout.strip().endswith(")")
