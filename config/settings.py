"""Typed settings for crmops, read from CRMOPS_* environment variables and `.env`.

Precedence, highest first: explicit arguments, environment variables, `.env` in
the working directory, defaults. Nested groups use a double underscore:
`CRMOPS_SALESFORCE__SESSION_ID`, `CRMOPS_HUBSPOT__ACCESS_TOKEN`.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CRMOPS_"
CONFIG_DIR = Path(__file__).resolve().parent
DEFAULT_RULES_FILE = CONFIG_DIR / "sop.yaml"
DEFAULT_MAPPING_FILE = CONFIG_DIR / "mapping.yaml"


class SettingsError(ValueError):
    """A setting is missing or conflicts with another; the message names the variables."""


class SalesforceAuth(StrEnum):
    """The auth flows simple-salesforce supports."""

    SESSION = "session"
    PASSWORD = "password"
    OAUTH_PASSWORD = "oauth_password"
    JWT = "jwt"
    CLIENT_CREDENTIALS = "client_credentials"


# Which fields each flow needs; the first group of a variant that is fully set wins.
_SF_REQUIRED: dict[SalesforceAuth, tuple[str, ...]] = {
    SalesforceAuth.SESSION: ("session_id", "instance_url"),
    SalesforceAuth.PASSWORD: ("username", "password", "security_token"),
    SalesforceAuth.OAUTH_PASSWORD: ("username", "password", "consumer_key", "consumer_secret"),
    SalesforceAuth.JWT: ("username", "consumer_key", "privatekey_file|privatekey"),
    SalesforceAuth.CLIENT_CREDENTIALS: ("consumer_key", "consumer_secret", "domain"),
}
_SF_SECRETS = {"session_id", "password", "security_token", "consumer_secret", "privatekey"}
# Settings that go with several flows (a login host, say): they never decide between flows.
_SF_SHARED = {"domain"}
# Errors never echo the input: it holds the secrets.
_MODEL_CONFIG = ConfigDict(hide_input_in_errors=True)


def _env(group: str, field: str) -> str:
    return f"{ENV_PREFIX}{group.upper()}__{field.upper()}"


def _is_set(model: BaseModel, field: str) -> bool:
    return any(getattr(model, name) not in (None, "") for name in field.split("|"))


def _sf_vars(fields: tuple[str, ...] | list[str]) -> str:
    """Environment variable names for Salesforce fields (`a|b` reads "A or B")."""
    return ", ".join(" or ".join(_env("salesforce", p) for p in f.split("|")) for f in fields)


def _deciding(auth: SalesforceAuth) -> set[str]:
    return set(_SF_REQUIRED[auth]) - _SF_SHARED


class SalesforceSettings(BaseModel):
    """Connection to one Salesforce org; which auth flow is used is `auth` or inferred."""

    model_config = _MODEL_CONFIG

    auth: SalesforceAuth | None = None
    instance_url: str | None = None
    domain: str | None = Field(None, description="login, test, or a My Domain host")
    api_version: str = "59.0"
    session_id: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    security_token: SecretStr | None = None
    consumer_key: str | None = None
    consumer_secret: SecretStr | None = None
    privatekey_file: Path | None = None
    privatekey: SecretStr | None = None
    timeout_seconds: float = 30.0
    budget_share: float = Field(
        0.2, gt=0, le=1, description="share of today's remaining API calls one run may use"
    )

    @property
    def configured(self) -> bool:
        """True when any credential is present."""
        return self.auth is not None or any(
            _is_set(self, f) for f in ("session_id", "username", "consumer_key")
        )

    def resolved_auth(self) -> SalesforceAuth:
        """The auth flow to use, checked for missing and conflicting settings.

        Raises:
            SettingsError: naming the variables that are missing or that conflict.
        """
        self._check_private_key()
        if self.auth is not None:
            self._require(self.auth)
            return self.auth
        complete = [a for a, need in _SF_REQUIRED.items() if all(_is_set(self, f) for f in need)]
        # A flow whose fields are a subset of another's is not a conflict: prefer the larger.
        complete = [a for a in complete if not any(_deciding(a) < _deciding(b) for b in complete)]
        if len(complete) == 1:
            return complete[0]
        if not complete:
            raise SettingsError(self._incomplete_message())
        flows = "; ".join(f"{a.value}: {_sf_vars(_SF_REQUIRED[a])}" for a in complete)
        raise SettingsError(
            f"Salesforce credentials match several auth flows ({flows}): set "
            f"{_env('salesforce', 'auth')} to one of {', '.join(a.value for a in complete)}"
            " or unset the variables of the others"
        )

    def _incomplete_message(self) -> str:
        started = {
            a: [f for f in need if not _is_set(self, f)]
            for a, need in _SF_REQUIRED.items()
            if any(_is_set(self, f) for f in _deciding(a))
        }
        hints = [f"for {a.value} set {_sf_vars(missing)}" for a, missing in started.items()]
        if not hints:
            hints = [f"e.g. set {_sf_vars(_SF_REQUIRED[SalesforceAuth.SESSION])}"]
        return (
            "Salesforce credentials are incomplete: "
            + "; ".join(hints)
            + f" (or set {_env('salesforce', 'auth')} to one of "
            + ", ".join(a.value for a in SalesforceAuth)
            + ")"
        )

    def _require(self, auth: SalesforceAuth) -> None:
        missing = [f for f in _SF_REQUIRED[auth] if not _is_set(self, f)]
        if missing:
            raise SettingsError(f"Salesforce auth '{auth.value}' needs {_sf_vars(missing)}")

    def _check_private_key(self) -> None:
        if self.privatekey_file is not None and self.privatekey is not None:
            raise SettingsError(
                f"set only one of {_env('salesforce', 'privatekey_file')} and "
                f"{_env('salesforce', 'privatekey')}"
            )
        if self.privatekey_file is not None and not self.privatekey_file.is_file():
            raise SettingsError(
                f"{_env('salesforce', 'privatekey_file')} points at a missing file: "
                f"{self.privatekey_file}"
            )


class HubSpotSettings(BaseModel):
    """Connection to one HubSpot portal through a private-app token."""

    model_config = _MODEL_CONFIG

    access_token: SecretStr | None = None
    host: str = "https://api.hubapi.com"
    timeout_seconds: float = 30.0
    calls_per_10s: int = Field(
        190,
        gt=0,
        description=(
            "starting pace, calls per rolling 10 s; replaced by the limit the portal "
            "advertises (X-HubSpot-RateLimit-Max) from its first answer that carries it"
        ),
    )
    search_per_second: int = Field(5, gt=0)
    concurrency: int = Field(4, gt=0, le=32)
    search_lag_seconds: float = Field(60.0, ge=0, description="how far search trails writes")
    budget_share: float = Field(0.2, gt=0, le=1)

    @property
    def configured(self) -> bool:
        """True when a token is present."""
        return self.access_token is not None and bool(self.access_token.get_secret_value())

    def require(self) -> None:
        """Raise a SettingsError naming the variable when the token is missing."""
        if not self.configured:
            raise SettingsError(f"HubSpot needs {_env('hubspot', 'access_token')}")


class Settings(BaseSettings):
    """Everything crmops reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
        hide_input_in_errors=True,
    )

    salesforce: SalesforceSettings = Field(default_factory=SalesforceSettings)
    hubspot: HubSpotSettings = Field(default_factory=HubSpotSettings)
    ca_bundle: Path | None = Field(None, description="CA file to trust instead of the system's")
    state_url: str = "sqlite:///.crmops/state.db"
    rules_file: Path = DEFAULT_RULES_FILE
    mapping_file: Path = DEFAULT_MAPPING_FILE
    reports_dir: Path = Path(".crmops/reports")
    retention_days: int = Field(90, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.ca_bundle is not None and not self.ca_bundle.exists():
            raise SettingsError(f"{ENV_PREFIX}CA_BUNDLE points at a missing file: {self.ca_bundle}")
        if self.salesforce.configured:
            self.salesforce.resolved_auth()
        return self

    def redacted(self) -> dict[str, Any]:
        """The settings as plain data with every secret masked, for doctor and logs."""
        return self.model_dump(mode="json")
