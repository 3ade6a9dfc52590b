from __future__ import annotations

import pytest

from integrations.errors import AuthError, FatalError, RetryableError
from integrations.retry import retried, retrying


class Flaky:
    """Fails with the given errors in turn, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "done"


def transient(retry_after: float | None = None) -> RetryableError:
    return RetryableError("hubspot", 429, "RATE_LIMIT", "slow down", retry_after)


def test_retryable_errors_are_retried_until_success() -> None:
    waits: list[float] = []
    call = Flaky(transient(), transient(), transient())
    assert retrying(call, sleep=waits.append) == "done"
    assert call.calls == 4
    assert len(waits) == 3


def test_fatal_errors_are_not_retried() -> None:
    waits: list[float] = []
    call = Flaky(FatalError("salesforce", 400, "MALFORMED_QUERY", "bad"))
    with pytest.raises(FatalError, match="MALFORMED_QUERY"):
        retrying(call, sleep=waits.append)
    assert call.calls == 1
    assert waits == []


def test_auth_errors_are_not_retried() -> None:
    call = Flaky(AuthError("salesforce", 401, "INVALID_SESSION_ID", "expired"))
    with pytest.raises(AuthError):
        retrying(call, sleep=lambda _: None)
    assert call.calls == 1


def test_gives_up_after_attempts_and_reraises_the_last_error() -> None:
    call = Flaky(*[transient() for _ in range(10)])
    with pytest.raises(RetryableError, match="RATE_LIMIT"):
        retrying(call, attempts=3, sleep=lambda _: None)
    assert call.calls == 3


def test_retry_after_is_honoured_with_small_jitter() -> None:
    waits: list[float] = []
    retrying(Flaky(transient(retry_after=7.0)), sleep=waits.append)
    assert 7.0 <= waits[0] <= 7.25


def test_retry_after_is_capped_by_max_wait() -> None:
    waits: list[float] = []
    retrying(Flaky(transient(retry_after=600.0)), max_wait=20.0, sleep=waits.append)
    assert waits == [20.0]


def test_backoff_grows_and_stays_under_max_wait() -> None:
    waits: list[float] = []
    retrying(Flaky(*[transient() for _ in range(5)]), max_wait=4.0, sleep=waits.append)
    assert len(waits) == 5
    assert all(0 < w <= 4.0 for w in waits)
    assert waits[3] >= 0.5 * 2**3 or waits[3] == 4.0


def test_decorator_form_passes_arguments() -> None:
    attempts: list[int] = []

    @retried(sleep=lambda _: None)
    def add(a: int, b: int) -> int:
        attempts.append(1)
        if len(attempts) < 2:
            raise transient()
        return a + b

    assert add(2, b=3) == 5
    assert len(attempts) == 2
