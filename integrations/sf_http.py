"""The Salesforce connector's HTTP edge: a metered requests session and error sorting.

Every request simple-salesforce makes goes through `MeteredSession`, which counts
it (before sending, so timeouts count too), applies the client timeout, reads
`Sforce-Limit-Info` from the answer, and has no hidden retries. `sort_error`
turns whatever simple-salesforce or requests raised into our own error set.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter

from integrations.accounting import Meter, endpoint_key
from integrations.errors import (
    AuthError,
    BudgetExhausted,
    CrmError,
    FatalError,
    RetryableError,
    from_status,
    parse_retry_after,
)

SYSTEM = "salesforce"
API_VERSION = "59.0"
_API_PREFIX = re.compile(r"^/services/data/v\d+\.\d+")
_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")
LIMIT_CODE = "REQUEST_LIMIT_EXCEEDED"
# The daily org limit says "TotalRequests"; this one is about concurrency and passes.
CONCURRENCY_LIMIT = "ConcurrentPerOrgLongTxn"
NOT_CONNECTED = "CONNECT_FAILED"
# After these the server surely did not apply the request: a create may be sent again.
NOT_APPLIED_STATUSES = frozenset({429, 503})
NOT_APPLIED_CODES = frozenset({LIMIT_CODE, NOT_CONNECTED})
T = TypeVar("T")


class MeteredSession(requests.Session):
    """A requests Session that counts every call and keeps the environment out."""

    def __init__(self, meter: Meter, timeout: float, verify: Path | str | bool = True) -> None:
        super().__init__()
        self.meter = meter
        self.timeout = timeout
        self.verify = str(verify) if isinstance(verify, Path) else verify
        # REQUESTS_CA_BUNDLE, proxies and .netrc from the environment must not win.
        self.trust_env = False
        for prefix in ("https://", "http://"):
            self.mount(prefix, HTTPAdapter(max_retries=0))
        self.server_time: datetime | None = None  # the `Date` of the latest answer

    def request(  # type: ignore[override]
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Count the call, send it with the client timeout, note the budget left."""
        method_text = method.decode() if isinstance(method, bytes) else method
        url_text = url.decode() if isinstance(url, bytes) else url
        path = "/" + url_text.split("://", 1)[-1].split("/", 1)[-1]
        self.meter.begin(endpoint_key(method_text, _API_PREFIX.sub("", path)))
        kwargs.setdefault("timeout", self.timeout)
        response = super().request(method, url, *args, **kwargs)
        self.server_time = server_time(response.headers.get("Date")) or self.server_time
        used_limit = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if used_limit is not None:
            used, limit = used_limit
            self.meter.observe(limit, max(limit - used, 0))
        return response


def server_time(header: str | None) -> datetime | None:
    """The moment an HTTP `Date` header names (whole seconds, UTC), or None."""
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).astimezone(UTC)
    except (TypeError, ValueError):
        return None


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """(used, limit) from `Sforce-Limit-Info: api-usage=N/LIMIT`, or None."""
    if not header:
        return None
    match = _LIMIT_INFO.search(header)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _code_and_message(content: Any) -> tuple[str | None, str]:
    """The first errorCode/message of a Salesforce error body (a JSON list)."""
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return first.get("errorCode"), str(first.get("message", ""))
    if isinstance(content, dict):
        return content.get("errorCode") or content.get("error"), str(
            content.get("message") or content.get("error_description") or content
        )
    if isinstance(content, bytes):
        content = content.decode(errors="replace")
    return None, str(content)[:500]


def sort_error(error: BaseException, renewable: bool = False) -> CrmError | None:
    """Our error for an exception raised by simple-salesforce or requests, else None.

    Args:
        error: what was raised.
        renewable: whether the auth flow can renew a session (goes on AuthError).

    Returns:
        A CrmError to raise instead, or None for exceptions that are not the CRM's
        (programming errors pass through untouched).
    """
    if isinstance(error, CrmError):
        return error
    if isinstance(error, requests.Timeout):
        return RetryableError(SYSTEM, None, "TIMEOUT", "no answer within the client timeout")
    if isinstance(error, requests.ConnectionError):
        # Refused before anything was sent, or cut off after: only the first is surely unapplied.
        refused = "NewConnectionError" in repr(error) or "Connection refused" in str(error)
        kind = NOT_CONNECTED if refused else "CONNECTION"
        return RetryableError(SYSTEM, None, kind, f"connection failed: {error}")
    if type(error).__name__ == "SalesforceAuthenticationFailed":
        login_code = getattr(error, "code", None)
        return AuthError(
            SYSTEM, 401, str(login_code) if login_code else None, str(getattr(error, "message", ""))
        )
    status = getattr(error, "status", None)
    if not isinstance(status, int):
        return None
    code, message = _code_and_message(getattr(error, "content", None))
    return _by_status(status, code, message, renewable, getattr(error, "headers", None))


def _by_status(
    status: int, code: str | None, message: str, renewable: bool, headers: Any
) -> CrmError:
    if code == LIMIT_CODE:
        if CONCURRENCY_LIMIT in message:
            return RetryableError(SYSTEM, status, code, message)
        return BudgetExhausted(SYSTEM, status, code, message)
    if status == 401:
        return AuthError(SYSTEM, status, code, message, renewable=renewable)
    if code == "INVALID_QUERY_LOCATOR":
        return FatalError(SYSTEM, status, code, message)
    retry_after = parse_retry_after(headers.get("Retry-After")) if headers else None
    return from_status(SYSTEM, status, code, message, retry_after)


def sorted_call(function: Callable[[], T], renewable: bool, repeatable: bool) -> T:
    """Make one attempt, raising our error for whatever the SDK or requests raised.

    Args:
        function: one SDK call.
        renewable: whether the auth flow can renew an expired session.
        repeatable: False for a create that would duplicate if repeated after being
            applied: a transient error that may have been applied becomes OUTCOME_UNKNOWN
            (fatal) instead of being retried.
    """
    try:
        return function()
    except Exception as exc:
        error = sort_error(exc, renewable=renewable)
        if error is None:
            raise
        if not repeatable and isinstance(error, RetryableError) and not _surely_unapplied(error):
            raise FatalError(
                SYSTEM,
                error.status,
                "OUTCOME_UNKNOWN",
                f"a create may have been applied, not repeated ({error.message})",
            ) from exc
        raise error from exc


def _surely_unapplied(error: RetryableError) -> bool:
    return error.status in NOT_APPLIED_STATUSES or error.code in NOT_APPLIED_CODES
