from __future__ import annotations

import pytest

from integrations.errors import (
    AuthError,
    BudgetExhausted,
    CrmError,
    FatalError,
    RetryableError,
    from_status,
    parse_retry_after,
    scrub,
)


@pytest.mark.parametrize("status", [None, 408, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retryable(status: int | None) -> None:
    error = from_status("hubspot", status, "X", "try later", retry_after=2.0)
    assert isinstance(error, RetryableError)
    assert error.retry_after == 2.0


@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_client_errors_are_fatal(status: int) -> None:
    error = from_status("salesforce", status, "MALFORMED_QUERY", "bad")
    assert isinstance(error, FatalError)
    assert not isinstance(error, RetryableError)


def test_401_is_an_auth_error_and_fatal() -> None:
    error = from_status("salesforce", 401, "INVALID_SESSION_ID", "Session expired")
    assert isinstance(error, AuthError)
    assert isinstance(error, FatalError)
    assert error.renewable is False


def test_budget_exhausted_is_fatal() -> None:
    assert issubclass(BudgetExhausted, FatalError)
    assert issubclass(FatalError, CrmError)


def test_message_names_system_status_and_code() -> None:
    error = FatalError("salesforce", 400, "MALFORMED_QUERY", "unexpected token: OR")
    assert str(error) == "salesforce 400 MALFORMED_QUERY: unexpected token: OR"


@pytest.mark.parametrize(
    "secret",
    [
        "Bearer abc.def-123",
        "00D5e000000SbXa!AQ4AQFzd1k2.ab",
        "pat-na1-0123abcd-ef45-6789",
        "access_token=s3cr3tvalue",
        'password: "hunter22"',
    ],
)
def test_secrets_never_reach_the_message(secret: str) -> None:
    error = AuthError("salesforce", 401, "INVALID_SESSION_ID", f"refused {secret} here")
    for text in (str(error), repr(error), error.message):
        assert "***" in text
        for piece in ("abc.def-123", "AQ4AQFzd1k2", "0123abcd-ef45", "s3cr3tvalue", "hunter22"):
            assert piece not in text


def test_scrub_leaves_ordinary_text_alone() -> None:
    assert scrub("Lead O'Brien not found (00Q5e00000AbCdEAAZ)") == (
        "Lead O'Brien not found (00Q5e00000AbCdEAAZ)"
    )


@pytest.mark.parametrize(
    ("header", "seconds"),
    [(None, None), ("3", 3.0), ("0.5", 0.5), ("-1", 0.0), ("Wed, 21 Oct 2026 07:28:00 GMT", None)],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds
