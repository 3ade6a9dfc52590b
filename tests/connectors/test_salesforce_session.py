from __future__ import annotations

from typing import Any

import pytest

from config.settings import SalesforceAuth, SalesforceSettings, Settings
from integrations import factory
from integrations.accounting import BudgetGuard, Meter
from integrations.base import WriteRow
from integrations.errors import AuthError, BudgetExhausted
from integrations.salesforce import SalesforceConnector
from integrations.sf_auth import login_for, token_url

from .sf_support import calls, connector, faults, load_leads, no_sleep, sandbox

TOKEN = "oauth.token"


def oauth_connector(sb: Any, **kwargs: Any) -> SalesforceConnector:
    settings = SalesforceSettings(
        auth="client_credentials",
        consumer_key="crmops-app",
        consumer_secret="not-a-real-secret",
        domain=sb.salesforce_url,
    )
    return SalesforceConnector(
        sb.salesforce_url,
        login=login_for(settings),
        ca_bundle=sb.ca_bundle,
        sleep=no_sleep,
        **kwargs,
    )


def test_token_url_for_login_hosts_and_full_urls() -> None:
    assert token_url(None) == "https://login.salesforce.com/services/oauth2/token"
    assert token_url("acme.my") == "https://acme.my.salesforce.com/services/oauth2/token"
    assert token_url("https://127.0.0.1:8443/") == "https://127.0.0.1:8443/services/oauth2/token"


def test_bare_session_has_no_login() -> None:
    settings = SalesforceSettings(session_id="00Dx!abc", instance_url="https://x.my.salesforce.com")
    assert login_for(settings) is None


def test_expired_session_is_renewed_once_and_the_read_goes_on(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 4100)
    sf = oauth_connector(sb)
    assert calls(sb, TOKEN) == 1
    faults(sb, session_expires_after_calls=2)
    found = [r.id for r in sf.read_all("Lead", ["LastName"])]
    assert found == sorted(ids)
    assert calls(sb, TOKEN) == 2
    # query, query.more, one refused query.more, then that page again
    assert calls(sb) - calls(sb, TOKEN) == 4


def test_bare_session_expiry_is_fatal_and_says_so(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    load_leads(sb, 3)
    faults(sb, session_expires_after_calls=0)
    sf = connector(sb)
    with pytest.raises(AuthError) as caught:
        list(sf.read_all("Lead", ["LastName"]))
    assert caught.value.code == "INVALID_SESSION_ID"
    assert not caught.value.renewable
    assert sb.salesforce_session_id not in str(caught.value)
    assert calls(sb) == 1


def test_daily_limit_exhausted_is_budget_exhausted(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    ids = load_leads(sb, 600)
    faults(sb, daily_budget_after_calls=2)
    sf = connector(sb)
    with pytest.raises(BudgetExhausted, match="TotalRequests") as caught:
        sf.update("Lead", [WriteRow({"Rating": "Hot"}, id=i) for i in ids])
    assert calls(sb) == 3  # two collections, the third refused and not retried
    partial = caught.value.partial_results
    assert [r.id for r in partial[:400]] == ids[:400] and partial[400:] == [None] * 200


def test_run_budget_cap_stops_before_the_call_that_would_pass_it(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox, salesforce_daily_limit=1000)
    ids = load_leads(sb, 3000)
    sf = connector(sb, meter=Meter("salesforce", guard=BudgetGuard(share=0.01)))
    # the first answer says 999 left: the cap becomes 1 + floor(999 * 0.01) = 10 calls
    with pytest.raises(BudgetExhausted, match="RUN_BUDGET_CAP") as caught:
        sf.update("Lead", [WriteRow({"Rating": "Hot"}, id=i) for i in ids])
    assert calls(sb) == 10
    written = [r for r in caught.value.partial_results if r is not None]
    assert len(written) == 2000 and all(r.ok for r in written)
    usage = sf.usage()
    assert (usage.total, usage.limit, usage.remaining) == (10, 1000, 990)


def test_limit_info_is_read_from_every_answer(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox, salesforce_daily_limit=500)
    load_leads(sb, 10)
    sf = connector(sb)
    list(sf.read_all("Lead", ["LastName"]))
    sf.identity()
    usage = sf.usage()
    assert (usage.limit, usage.remaining) == (500, 498)
    assert usage.calls == {"GET /query": 2}


def test_factory_signs_in_with_the_oauth_password_flow(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    settings = Settings(
        salesforce=SalesforceSettings(
            username="integration@crmops.sandbox",
            password="pw",
            consumer_key="crmops-app",
            consumer_secret="secret",
            domain=sb.salesforce_url,
        ),
        ca_bundle=sb.ca_bundle,
    )
    assert settings.salesforce.resolved_auth() is SalesforceAuth.OAUTH_PASSWORD
    sf = factory.salesforce(settings, sleep=no_sleep)
    assert sf.identity() == sb.options.org_id
    assert calls(sb, TOKEN) == 1
    assert "pw" not in repr(sf) and "secret" not in repr(sf)


def test_connect_sandbox_gives_both_connectors(make_sandbox: Any) -> None:
    sb = sandbox(make_sandbox)
    salesforce, hubspot = factory.connect_sandbox(sb)
    assert salesforce.identity() == sb.options.org_id
    assert hubspot.identity() == str(sb.options.portal_id)


def test_expired_session_is_renewed_for_a_create_which_is_sent_once(make_sandbox: Any) -> None:
    """A 401 means nothing was applied, so even an unkeyed create goes again after sign-in."""
    sb = sandbox(make_sandbox)
    sf = oauth_connector(sb)
    faults(sb, session_expires_after_calls=1)  # each session answers one call
    assert sf.identity() == sb.options.org_id
    rows = [WriteRow({"LastName": f"New {n}", "Company": "Acme"}) for n in range(3)]
    results = sf.create("Lead", rows)
    assert all(r.ok and r.created for r in results)
    assert calls(sb, TOKEN) == 2
    assert calls(sb, "composite.sobjects.create") == 2  # refused once, then written
    stored = sf.read_by_ids("Lead", [r.id or "" for r in results], ["LastName"])
    assert sorted(r.fields["LastName"] for r in stored) == ["New 0", "New 1", "New 2"]
