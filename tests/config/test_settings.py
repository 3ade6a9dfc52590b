"""Settings: every Salesforce auth flow, the HubSpot token, the CA bundle; secrets stay hidden."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.settings import SalesforceAuth, SalesforceSettings, Settings, SettingsError

SF = "CRMOPS_SALESFORCE__"
SECRETS = {
    "SESSION_ID": "00D!sess-Zq81secret",
    "PASSWORD": "pw-Zq82secret",
    "SECURITY_TOKEN": "tok-Zq83secret",
    "CONSUMER_SECRET": "cs-Zq84secret",
    "PRIVATEKEY": "-----BEGIN PRIVATE KEY-----Zq85secret",
}
HUBSPOT_TOKEN = "pat-na1-Zq86secret"

FLOWS: dict[SalesforceAuth, dict[str, str]] = {
    SalesforceAuth.SESSION: {
        "SESSION_ID": SECRETS["SESSION_ID"],
        "INSTANCE_URL": "https://acme.my.salesforce.com",
    },
    SalesforceAuth.PASSWORD: {
        "USERNAME": "integration@example.com",
        "PASSWORD": SECRETS["PASSWORD"],
        "SECURITY_TOKEN": SECRETS["SECURITY_TOKEN"],
    },
    SalesforceAuth.OAUTH_PASSWORD: {
        "USERNAME": "integration@example.com",
        "PASSWORD": SECRETS["PASSWORD"],
        "CONSUMER_KEY": "3MVG9-key",
        "CONSUMER_SECRET": SECRETS["CONSUMER_SECRET"],
        "DOMAIN": "test",  # a login host goes with any flow: not a second flow
    },
    SalesforceAuth.JWT: {
        "USERNAME": "integration@example.com",
        "CONSUMER_KEY": "3MVG9-key",
        "PRIVATEKEY": SECRETS["PRIVATEKEY"],
    },
    SalesforceAuth.CLIENT_CREDENTIALS: {
        "CONSUMER_KEY": "3MVG9-key",
        "CONSUMER_SECRET": SECRETS["CONSUMER_SECRET"],
        "DOMAIN": "acme.my.salesforce.com",
    },
}


def _setenv(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(SF + name, value)


def _assert_no_secret(text: str) -> None:
    for secret in [*SECRETS.values(), HUBSPOT_TOKEN]:
        assert secret not in text
        assert secret.split("-")[-1] not in text


@pytest.mark.parametrize("flow", list(FLOWS), ids=lambda f: f.value)
def test_each_auth_flow_validates_from_environment(
    flow: SalesforceAuth, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setenv(monkeypatch, FLOWS[flow])
    settings = Settings()
    assert settings.salesforce.configured
    assert settings.salesforce.resolved_auth() is flow


@pytest.mark.parametrize("flow", list(FLOWS), ids=lambda f: f.value)
def test_each_auth_flow_validates_from_dotenv(flow: SalesforceAuth, tmp_path: Path) -> None:
    # conftest runs every test in its own tmp_path, where Settings looks for `.env`.
    lines = [f"{SF}{name}={value}" for name, value in FLOWS[flow].items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert Settings().salesforce.resolved_auth() is flow


def test_jwt_with_a_key_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = tmp_path / "server.key"
    key.write_text("-----BEGIN PRIVATE KEY-----\n", encoding="utf-8")
    _setenv(monkeypatch, {"USERNAME": "i@example.com", "CONSUMER_KEY": "k"})
    monkeypatch.setenv(SF + "PRIVATEKEY_FILE", str(key))
    settings = Settings()
    assert settings.salesforce.resolved_auth() is SalesforceAuth.JWT
    assert settings.salesforce.privatekey_file == key


def test_environment_wins_over_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f"{SF}SESSION_ID=from-file\n{SF}INSTANCE_URL=https://file.example.com\n", encoding="utf-8"
    )
    monkeypatch.setenv(SF + "INSTANCE_URL", "https://env.example.com")
    salesforce = Settings().salesforce
    assert salesforce.instance_url == "https://env.example.com"
    assert salesforce.session_id is not None
    assert salesforce.session_id.get_secret_value() == "from-file"


def test_no_salesforce_settings_is_not_an_error_until_used() -> None:
    salesforce = Settings().salesforce
    assert not salesforce.configured
    with pytest.raises(SettingsError, match=f"{SF}SESSION_ID.*{SF}INSTANCE_URL"):
        salesforce.resolved_auth()


def test_a_half_given_flow_names_the_missing_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    _setenv(monkeypatch, {"USERNAME": "i@example.com", "PASSWORD": SECRETS["PASSWORD"]})
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert f"for password set {SF}SECURITY_TOKEN" in str(caught.value)
    assert f"{SF}CONSUMER_SECRET" in str(caught.value)  # what OAuth would still need
    _assert_no_secret(str(caught.value))


def test_a_chosen_flow_names_what_it_still_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    _setenv(monkeypatch, {"AUTH": "jwt", "USERNAME": "i@example.com"})
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    assert f"{SF}CONSUMER_KEY" in message
    assert f"{SF}PRIVATEKEY_FILE or {SF}PRIVATEKEY" in message


def test_two_complete_flows_conflict_and_name_their_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _setenv(monkeypatch, FLOWS[SalesforceAuth.PASSWORD] | FLOWS[SalesforceAuth.OAUTH_PASSWORD])
    with pytest.raises(ValidationError) as caught:
        Settings()
    message = str(caught.value)
    for name in ("AUTH", "SECURITY_TOKEN", "CONSUMER_KEY", "CONSUMER_SECRET"):
        assert SF + name in message
    _assert_no_secret(message)
    monkeypatch.setenv(SF + "AUTH", "oauth_password")
    assert Settings().salesforce.resolved_auth() is SalesforceAuth.OAUTH_PASSWORD


def test_key_and_key_file_together_conflict(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key = tmp_path / "server.key"
    key.write_text("key", encoding="utf-8")
    _setenv(monkeypatch, FLOWS[SalesforceAuth.JWT] | {"PRIVATEKEY_FILE": str(key)})
    with pytest.raises(ValidationError, match=f"{SF}PRIVATEKEY_FILE and {SF}PRIVATEKEY"):
        Settings()


def test_a_missing_key_file_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    _setenv(monkeypatch, {"USERNAME": "i@example.com", "CONSUMER_KEY": "k"})
    monkeypatch.setenv(SF + "PRIVATEKEY_FILE", "no/such.key")
    with pytest.raises(ValidationError, match=f"{SF}PRIVATEKEY_FILE points at a missing file"):
        Settings()


def test_an_unknown_auth_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _setenv(monkeypatch, FLOWS[SalesforceAuth.PASSWORD] | {"AUTH": "kerberos"})
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "salesforce.auth" in str(caught.value)
    _assert_no_secret(str(caught.value))


def _all_secrets_settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    _setenv(monkeypatch, {name: value for flow in FLOWS.values() for name, value in flow.items()})
    monkeypatch.setenv(SF + "AUTH", "password")
    monkeypatch.setenv("CRMOPS_HUBSPOT__ACCESS_TOKEN", HUBSPOT_TOKEN)
    return Settings()


def test_secrets_stay_out_of_repr_str_and_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _all_secrets_settings(monkeypatch)
    assert settings.salesforce.password is not None
    assert settings.salesforce.password.get_secret_value() == SECRETS["PASSWORD"]
    for text in (repr(settings), str(settings), repr(settings.salesforce), str(settings.hubspot)):
        _assert_no_secret(text)
    redacted = settings.redacted()
    _assert_no_secret(json.dumps(redacted))
    assert redacted["salesforce"]["password"] == "**********"
    assert redacted["salesforce"]["username"] == "integration@example.com"


def test_secrets_stay_out_of_validation_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    _all_secrets_settings(monkeypatch)
    monkeypatch.setenv(SF + "BUDGET_SHARE", "5")
    monkeypatch.delenv(SF + "AUTH")  # and a conflict too: the error holds the whole input
    with pytest.raises(ValidationError) as caught:
        Settings()
    assert "budget_share" in str(caught.value)
    _assert_no_secret(str(caught.value))
    _assert_no_secret(repr(caught.value.errors()))


def test_secrets_stay_out_of_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("crmops.test")
    with caplog.at_level(logging.DEBUG):
        settings = _all_secrets_settings(monkeypatch)
        log.info("settings %s / %r / %s", settings, settings.salesforce, settings.redacted())
        monkeypatch.setenv(SF + "AUTH", "jwt")
        monkeypatch.setenv(SF + "PRIVATEKEY_FILE", "missing.key")
        try:
            Settings()
        except ValidationError:
            log.exception("settings refused")
    assert "settings refused" in caplog.text and "PRIVATEKEY_FILE" in caplog.text
    _assert_no_secret(caplog.text)


def test_direct_errors_hide_secrets() -> None:
    salesforce = SalesforceSettings(username="u@example.com", password=SECRETS["PASSWORD"])
    with pytest.raises(SettingsError) as caught:
        salesforce.resolved_auth()
    _assert_no_secret(str(caught.value))


def test_hubspot_token(monkeypatch: pytest.MonkeyPatch) -> None:
    missing = Settings().hubspot
    assert not missing.configured
    with pytest.raises(SettingsError, match="CRMOPS_HUBSPOT__ACCESS_TOKEN"):
        missing.require()
    monkeypatch.setenv("CRMOPS_HUBSPOT__ACCESS_TOKEN", HUBSPOT_TOKEN)
    hubspot = Settings().hubspot
    hubspot.require()
    assert hubspot.access_token is not None
    assert hubspot.access_token.get_secret_value() == HUBSPOT_TOKEN
    _assert_no_secret(repr(hubspot))


def test_ca_bundle(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    monkeypatch.setenv("CRMOPS_CA_BUNDLE", str(bundle))
    assert Settings().ca_bundle == bundle
    monkeypatch.setenv("CRMOPS_CA_BUNDLE", str(tmp_path / "gone.pem"))
    with pytest.raises(ValidationError, match="CRMOPS_CA_BUNDLE points at a missing file"):
        Settings()
