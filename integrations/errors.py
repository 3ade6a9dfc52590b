"""The small set of errors every connector raises, whatever its SDK threw.

Each connector sorts its SDK's exceptions once, at its edge, into these classes:
`RetryableError` is worth another attempt (the retry policy owns that), every
other `CrmError` stops the job with a message that says what to fix. Messages
never carry secrets: connectors pass the CRM's own error text, which names no
credential, and `scrub` removes anything that looks like one anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

# Statuses worth retrying whatever the body says: timeouts, rate limits, server trouble.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

# Bearer tokens, session ids ("00D...!..."), HubSpot private-app tokens, key=value secrets.
_SECRET_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=!-]+"),
    re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]+"),
    re.compile(r"\bpat-[a-z0-9]+-[A-Za-z0-9-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|session_?id|password|client_secret|private_?key)"
        r"[\"']?\s*[=:]\s*[\"']?)"
        r"[^\s&\"',]+"
    ),
)


def scrub(text: str) -> str:
    """Mask anything in `text` that looks like a credential."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", text)
    return text


class CrmError(Exception):
    """An error answered by (or on the way to) a CRM.

    Attributes:
        system: "salesforce" or "hubspot".
        status: HTTP status, or None when no answer came (timeout, reset).
        code: the CRM's error code (e.g. MALFORMED_QUERY, RATE_LIMIT), if any.
        message: the CRM's message, scrubbed of secrets.
        partial_results: for a write stopped part-way, the results of the records
            written before it stopped (a prefix of the input, in input order), so the
            caller can save that progress.
    """

    def __init__(self, system: str, status: int | None, code: str | None, message: str) -> None:
        self.system = system
        self.status = status
        self.code = code
        self.message = scrub(message)
        self.partial_results: list[Any] = []
        super().__init__(self.__str__())

    def __str__(self) -> str:
        parts = [self.system]
        if self.status is not None:
            parts.append(str(self.status))
        if self.code:
            parts.append(self.code)
        return f"{' '.join(parts)}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(system={self.system!r}, status={self.status!r}, "
            f"code={self.code!r}, message={self.message!r})"
        )


class RetryableError(CrmError):
    """Worth another attempt: 429, 5xx, timeouts, resets, concurrent-request limits.

    `retry_after` is the server's requested wait in seconds, when it gave one.
    """

    def __init__(
        self,
        system: str,
        status: int | None,
        code: str | None,
        message: str,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(system, status, code, message)


class FatalError(CrmError):
    """Retrying will not help: bad request, permission, not found, bad configuration."""


class AuthError(FatalError):
    """The credentials were refused (401, invalid session).

    `renewable` says whether the auth flow can get a fresh session by itself
    (password, OAuth, JWT, client credentials) or not (a bare session id).
    """

    def __init__(
        self,
        system: str,
        status: int | None,
        code: str | None,
        message: str,
        renewable: bool = False,
    ) -> None:
        self.renewable = renewable
        super().__init__(system, status, code, message)


class BudgetExhausted(FatalError):
    """The CRM's daily budget is gone, or this run's budget cap is reached: stop cleanly."""


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header given in seconds; None if absent or a date."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return max(seconds, 0.0)


def from_status(
    system: str,
    status: int | None,
    code: str | None,
    message: str,
    retry_after: float | None = None,
) -> CrmError:
    """The error class an HTTP status calls for, when the body says nothing more specific.

    Args:
        system: "salesforce" or "hubspot".
        status: the HTTP status, or None when no answer arrived (always retryable).
        code: the CRM's error code, if any.
        message: the CRM's message.
        retry_after: seconds the server asked to wait, if any.

    Returns:
        A RetryableError, AuthError or FatalError (not raised).
    """
    if status is None or status in RETRYABLE_STATUSES:
        return RetryableError(system, status, code, message, retry_after)
    if status == 401:
        return AuthError(system, status, code, message)
    return FatalError(system, status, code, message)


def write_into(
    results: list[Any], indexes: Sequence[int], write: Callable[[], Sequence[Any]]
) -> None:
    """Put a sub-write's results at their input positions, also when it stops part-way.

    Args:
        results: one slot per input of the whole write (None = not answered yet).
        indexes: the positions in `results` of the sub-write's inputs, in its order.
        write: the sub-write; returns one result per input.

    Raises:
        CrmError: the sub-write stopped; its `partial_results` become the whole
            write's, lined up with its input (None where no answer came).
    """
    try:
        written = write()
    except CrmError as stopped:
        for i, result in zip(indexes, stopped.partial_results, strict=False):
            results[i] = result
        stopped.partial_results = list(results)
        raise
    for i, result in zip(indexes, written, strict=True):
        results[i] = result
