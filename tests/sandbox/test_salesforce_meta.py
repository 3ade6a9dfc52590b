"""Describe, limits, versions, the Tooling API and auth through simple-salesforce."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce.exceptions import SalesforceAuthenticationFailed, SalesforceExpiredSession
from simple_salesforce.login import SalesforceLogin, soap_login, token_login

from tests.sandbox.clients import salesforce_client, salesforce_raw
from tests.sandbox.salesforce_support import sandbox, shared_sandbox

__all__ = ["sandbox", "shared_sandbox"]


def test_describe_lists_objects_and_field_flags(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    names = {o["name"] for o in sf.describe()["sobjects"]}
    assert {"Lead", "Contact", "Account", "Opportunity", "Task", "User"} <= names
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    status = fields["Status"]
    assert status["restrictedPicklist"] is True and status["type"] == "picklist"
    assert {"value": "Qualified", "label": "Qualified", "active": True}.items() <= {
        **status["picklistValues"][3]
    }.items()
    assert fields["Rating"]["restrictedPicklist"] is False
    assert fields["Contact_Verified_At__c"]["updateable"] is False
    assert fields["Service_Type__c"]["custom"] is True
    assert "Crmops_Score__c" not in fields


OBJECT_FIELDS = {
    "User": {"ManagerId": "reference", "IsActive": "boolean", "Email": "email"},
    "Lead": {
        "Status": "picklist",
        "Rating": "picklist",
        "HasOptedOutOfEmail": "boolean",
        "IsConverted": "boolean",
        "ConvertedContactId": "reference",
        "ConvertedAccountId": "reference",
        "ConvertedOpportunityId": "reference",
    },
    "Contact": {"AccountId": "reference", "Email": "email"},
    "Account": {"Name": "string", "IsPersonAccount": "boolean"},
    "Opportunity": {"StageName": "picklist", "Amount": "currency", "CloseDate": "date"},
    "Task": {
        "Subject": "string",
        "WhoId": "reference",
        "WhatId": "reference",
        "OwnerId": "reference",
        "ActivityDate": "date",
        "ReminderDateTime": "datetime",
        "IsReminderSet": "boolean",
        "Status": "picklist",
        "Priority": "picklist",
        "Description": "textarea",
    },
    "Event": {"WhoId": "reference", "StartDateTime": "datetime"},
}


@pytest.mark.parametrize("obj", list(OBJECT_FIELDS))
def test_objects_carry_the_fields_the_design_names(sandbox: Any, obj: str) -> None:
    described = salesforce_client(sandbox).restful(f"sobjects/{obj}/describe")
    types = {f["name"]: f["type"] for f in described["fields"]}
    system = {"Id", "IsDeleted", "CreatedDate", "LastModifiedDate", "SystemModstamp"}
    assert system <= set(types)
    assert {name: types.get(name) for name in OBJECT_FIELDS[obj]} == OBJECT_FIELDS[obj]


def test_tooling_custom_field_appears_in_describe_and_is_writable(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    made = sf.toolingexecute(
        "sobjects/CustomField",
        method="POST",
        data={
            "FullName": "Lead.Crmops_Score__c",
            "Metadata": {"type": "Number", "label": "crmops score", "precision": 18, "scale": 2},
        },
    )
    assert made["success"] is True and made["id"].startswith("00N")
    fields = {f["name"]: f for f in sf.Lead.describe()["fields"]}
    assert fields["Crmops_Score__c"]["type"] == "double"
    record_id = sf.Lead.create({"LastName": "N", "Company": "C", "Crmops_Score__c": 42})["id"]
    assert sf.Lead.get(record_id)["Crmops_Score__c"] == 42
    listed = sf.toolingexecute(
        "query/?q=SELECT+DeveloperName+FROM+CustomField+WHERE+TableEnumOrId='Lead'"
    )
    assert [r["DeveloperName"] for r in listed["records"]] == ["Crmops_Score"]


def test_limits_and_limit_info_header(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    limits = sf.limits()
    assert limits["DailyApiRequests"]["Max"] == 1_000_000
    used = 1_000_000 - limits["DailyApiRequests"]["Remaining"]
    assert used >= 1
    answer = salesforce_raw(sandbox).get(sandbox.salesforce_url + "/services/data/v59.0/limits")
    assert answer.headers["Sforce-Limit-Info"] == f"api-usage={used + 1}/1000000"


def test_limit_info_on_every_answer(sandbox: Any) -> None:
    raw, base = salesforce_raw(sandbox), sandbox.salesforce_url + "/services/data/v59.0"
    made = raw.post(f"{base}/sobjects/Lead/", json={"LastName": "A", "Company": "B"})
    lead = f"{base}/sobjects/Lead/{made.json()['id']}"
    answers = [
        (201, made),
        (204, raw.patch(lead, json={"Rating": "Hot"})),
        (200, raw.get(f"{base}/query/", params={"q": "SELECT Id FROM Lead"})),
        (400, raw.get(f"{base}/query/", params={"q": "SELECT FROM"})),
        (404, raw.get(f"{base}/sobjects/Lead/00Q000000000000AAA")),
        (404, raw.get(f"{base}/no/such/resource")),
        (405, raw.put(lead, json={})),
    ]
    for status, answer in answers:
        assert answer.status_code == status, answer.text
        assert answer.headers["Sforce-Limit-Info"].startswith("api-usage="), status


def test_versions_list_needs_no_session(sandbox: Any) -> None:
    session = requests.Session()
    session.trust_env = False
    answer = session.get(sandbox.salesforce_url + "/services/data/", verify=sandbox.ca_bundle)
    assert {
        "label": "Winter '24",
        "url": "/services/data/v59.0",
        "version": "59.0",
    } in answer.json()


def test_wrong_session_is_401_list(sandbox: Any) -> None:
    sf = salesforce_client(sandbox, session_id="00Dbogus!nope")
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Lead")
    assert caught.value.content == [  # type: ignore[comparison-overlap]
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


@pytest.mark.parametrize(
    "grant", ["password", "client_credentials", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
)
def test_oauth_token_gives_a_working_session(sandbox: Any, grant: str) -> None:
    session = requests.Session()
    session.trust_env = False
    answer = session.post(
        sandbox.salesforce_url + "/services/oauth2/token",
        data={"grant_type": grant, "client_id": "x", "username": "u", "password": "p"},
        verify=sandbox.ca_bundle,
    )
    token = answer.json()
    assert answer.status_code == 200
    assert {"access_token", "instance_url", "id", "token_type", "issued_at", "signature"} <= set(
        token
    )
    sf = salesforce_client(sandbox, session_id=token["access_token"])
    assert sf.query("SELECT COUNT() FROM Organization")["totalSize"] == 1
    identity = salesforce_raw(sandbox, token["access_token"]).get(token["id"]).json()
    assert identity["organization_id"] == sandbox.options.org_id


def _plain_session(sandbox: Any) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = sandbox.ca_bundle
    return session


def test_sdk_token_login_and_soap_login(sandbox: Any) -> None:
    session = _plain_session(sandbox)
    data = {
        "grant_type": "password",
        "client_id": "key",
        "client_secret": "s",
        "username": "u@example.com",
        "password": "pw",
    }
    session_id, instance = token_login(
        sandbox.salesforce_url + "/services/oauth2/token", data, "login", "key", None, None, session
    )
    assert instance == sandbox.salesforce_url.removeprefix("https://")
    assert salesforce_client(sandbox, session_id=session_id).limits()
    soap_id, soap_instance = SalesforceLogin(
        username="u@example.com",
        password="pw",
        security_token="tok",
        session=session,
        scratch_url=sandbox.salesforce_url,
        sf_version="59.0",
    )
    assert soap_instance == instance
    assert salesforce_client(sandbox, session_id=soap_id).limits()


def test_sdk_login_failures(sandbox: Any) -> None:
    session = _plain_session(sandbox)
    with pytest.raises(SalesforceAuthenticationFailed):
        token_login(
            sandbox.salesforce_url + "/services/oauth2/token",
            {"grant_type": "password", "username": "", "password": ""},
            "login",
            "key",
            None,
            None,
            session,
        )
    with pytest.raises(SalesforceAuthenticationFailed) as caught:
        soap_login(
            sandbox.salesforce_url + "/services/Soap/u/59.0",
            "<login><username></username><password></password></login>",
            {"content-type": "text/xml"},
            None,
            session,
        )
    assert caught.value.code == "INVALID_LOGIN"


def test_organization_carries_the_org_id(sandbox: Any) -> None:
    sf = salesforce_client(sandbox)
    org = sf.query("SELECT Id, Name FROM Organization")["records"][0]
    assert org["Id"] == sandbox.options.org_id
