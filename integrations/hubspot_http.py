"""The HubSpot edge: SDK clients with their own retries off, and the one path every call takes.

Each call is paced by the limiter (which adopts the limit the portal's answers
advertise, see `Transport._observe`), counted by the meter (retries too: each is a
call), retried by the shared policy, and its SDK exception (a different
`ApiException` class per sub-package, or a raw urllib3 error) sorted once into
`integrations.errors`. Answers are read raw (`_preload_content=False`): exact
status, headers and JSON, no SDK models built for 100,000 records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import urllib3
from hubspot import HubSpot
from urllib3.exceptions import ConnectTimeoutError, HTTPError, MaxRetryError, ProtocolError
from urllib3.util.retry import Retry

from integrations import retry
from integrations.accounting import Meter
from integrations.errors import (
    AuthError,
    BudgetExhausted,
    CrmError,
    FatalError,
    RetryableError,
    from_status,
    parse_retry_after,
)
from integrations.limiter import CallKind, RateLimiter

SYSTEM = "hubspot"
TOKEN_VARIABLE = "CRMOPS_HUBSPOT__ACCESS_TOKEN"
# Without Retry-After, a rate-limited call waits this long (HubSpot sends none on 429s).
RATE_LIMIT_WAIT = 1.0
# Codes meaning the request never reached the server: safe to resend even a create.
NOT_SENT = frozenset({"CONNECT_FAILED", "RATE_LIMIT"})
H_MAX = "X-HubSpot-RateLimit-Max"
H_REMAINING = "X-HubSpot-RateLimit-Remaining"
H_INTERVAL_MS = "X-HubSpot-RateLimit-Interval-Milliseconds"
H_DAILY = "X-HubSpot-RateLimit-Daily"
H_DAILY_REMAINING = "X-HubSpot-RateLimit-Daily-Remaining"


class OutcomeUnknown(FatalError):
    """A write that cannot safely be resent failed without an answer: it may have happened."""


@dataclass
class Answer:
    """One HTTP answer: exact status, headers, parsed JSON body (None when empty)."""

    status: int
    headers: Mapping[str, str]
    body: Any


def _json(data: bytes | str | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return {"message": data.decode("utf-8", "replace") if isinstance(data, bytes) else data}


def _int_header(headers: Mapping[str, str] | None, name: str) -> int | None:
    value = (headers or {}).get(name)
    return int(value) if value is not None and value.strip().isdigit() else None


def error_from_answer(status: int, headers: Mapping[str, str] | None, body: Any) -> CrmError:
    """Sort an HTTP error answer into our error set."""
    data = body if isinstance(body, dict) else {}
    message = str(data.get("message") or f"HTTP {status}")
    code = data.get("category") or data.get("errorType")
    if status == 429:
        policy = data.get("policyName")
        if policy == "DAILY":
            return BudgetExhausted(SYSTEM, status, "DAILY", message + " Try again tomorrow.")
        wait = parse_retry_after((headers or {}).get("Retry-After"))
        return RetryableError(SYSTEM, status, "RATE_LIMIT", message, wait or RATE_LIMIT_WAIT)
    if status == 401:
        return AuthError(SYSTEM, status, code, f"{message} (check {TOKEN_VARIABLE})")
    if status == 403:
        return FatalError(SYSTEM, status, code, f"{message} (the private app lacks a scope)")
    return from_status(SYSTEM, status, code, message)


def sort_exception(exc: BaseException) -> CrmError | None:
    """Our error for an SDK or urllib3 exception; None for anything else (a bug: re-raise)."""
    status = getattr(exc, "status", None)
    if isinstance(status, int) and hasattr(exc, "body"):
        if status == 0:  # the SDK wraps TLS failures as status 0
            reason = str(getattr(exc, "reason", ""))
            if "CERTIFICATE_VERIFY_FAILED" in reason:
                return FatalError(SYSTEM, None, "TLS", f"{reason} (check CRMOPS_CA_BUNDLE)")
            return RetryableError(SYSTEM, None, "TLS", reason)
        return error_from_answer(status, getattr(exc, "headers", None), _json(exc.body))
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, ConnectTimeoutError):  # also NewConnectionError: nothing was sent
        return RetryableError(SYSTEM, None, "CONNECT_FAILED", f"could not connect: {exc}")
    if isinstance(exc, urllib3.exceptions.TimeoutError):
        return RetryableError(SYSTEM, None, "TIMEOUT", f"no answer in time: {exc}")
    if isinstance(exc, ProtocolError | HTTPError | ConnectionError):
        return RetryableError(SYSTEM, None, "CONNECTION_RESET", f"connection lost: {exc}")
    return None


class Transport:
    """SDK clients sharing one connection pool per sub-package, and `call`."""

    def __init__(
        self,
        host: str,
        token: str,
        *,
        ca_bundle: str | None,
        timeout: float,
        limiter: RateLimiter,
        meter: Meter,
        attempts: int = retry.DEFAULT_ATTEMPTS,
        sleep: retry.Sleep | None = None,
    ) -> None:
        self.limiter = limiter
        self.meter = meter
        self.timeout = (timeout, timeout)
        self.attempts = attempts
        self.sleep = sleep
        self._clients: dict[str, Any] = {}
        self.sdk = HubSpot(
            access_token=token,
            host=host.rstrip("/"),
            ssl_ca_cert=ca_bundle,
            retry=Retry(total=0, redirect=0, respect_retry_after_header=False),
            connection_pool_maxsize=max(4, limiter.concurrency + 2),
            api_factory=self._api_factory,
        )

    def _api_factory(self, package: ModuleType, api_name: str, config: dict[str, Any]) -> Any:
        """One ApiClient (one pool) per SDK sub-package, instead of one per attribute access."""
        client = self._clients.get(package.__name__)
        if client is None:
            configuration = package.Configuration()
            for key, value in config.items():
                setattr(configuration, "retries" if key == "retry" else key, value)
            client = package.ApiClient(configuration=configuration)
            self._clients[package.__name__] = client
        return getattr(package, api_name)(api_client=client)

    def call(
        self,
        endpoint: str,
        invoke: Callable[..., Any],
        *,
        kind: CallKind = CallKind.CALL,
        accept: frozenset[int] = frozenset(),
        resend: bool = True,
    ) -> Answer:
        """Make one logical call, retried; error statuses in `accept` are answers, not errors.

        Args:
            endpoint: the accounting name, e.g. "POST /crm/v3/objects/contacts/batch/create".
            invoke: an SDK `*_with_http_info` bound to its arguments; gets the raw-answer kwargs.
            kind: which rate budgets the call spends.
            accept: error statuses the caller handles itself (e.g. a batch refused whole).
            resend: False for a non-idempotent write: an ambiguous failure is not resent.

        Returns:
            The answer.

        Raises:
            CrmError: sorted; OutcomeUnknown when a non-resendable write may have happened.
        """
        return retry.retrying(
            lambda: self._attempt(endpoint, invoke, kind, accept, resend),
            attempts=self.attempts,
            sleep=self.sleep,
        )

    def _attempt(
        self,
        endpoint: str,
        invoke: Callable[..., Any],
        kind: CallKind,
        accept: frozenset[int],
        resend: bool,
    ) -> Answer:
        with self.limiter.slot(kind):
            self.meter.begin(endpoint)
            try:
                raw = invoke(_preload_content=False, _request_timeout=self.timeout)
            except Exception as exc:
                return self._failed(exc, accept, resend)
        try:
            answer = Answer(raw.status, raw.headers, _json(raw.data))
        finally:
            raw.release_conn()
        self._observe(answer.headers)
        return answer

    def _failed(self, exc: Exception, accept: frozenset[int], resend: bool) -> Answer:
        error = sort_exception(exc)
        if error is None:
            raise exc
        headers = getattr(exc, "headers", None)
        self._observe(headers)
        if error.status in accept:
            return Answer(error.status or 0, headers or {}, _json(getattr(exc, "body", None)))
        if isinstance(error, RetryableError) and error.retry_after:
            self.limiter.pause(error.retry_after)
        if isinstance(error, RetryableError) and not resend and error.code not in NOT_SENT:
            raise OutcomeUnknown(SYSTEM, error.status, "OUTCOME_UNKNOWN", error.message) from exc
        raise error from exc

    def _observe(self, headers: Mapping[str, str] | None) -> None:
        """Follow the portal's advertised limit and fill level, and its daily budget.

        Search answers carry no limit headers: they leave the pace as it was.
        """
        limit = _int_header(headers, H_MAX)
        interval_ms = _int_header(headers, H_INTERVAL_MS)
        self.limiter.adopt(limit, interval_ms / 1000 if interval_ms else None)
        self.limiter.observe(_int_header(headers, H_REMAINING), limit)
        self.meter.observe(_int_header(headers, H_DAILY), _int_header(headers, H_DAILY_REMAINING))

    def raw_get(self, endpoint: str, path: str) -> Answer:
        """GET a path the SDK has no API class for (account-info), through its client and auth."""
        return self.raw(endpoint, "GET", path)

    def raw(
        self,
        endpoint: str,
        method: str,
        path: str,
        body: Any = None,
        accept: frozenset[int] = frozenset(),
    ) -> Answer:
        """Call a path the SDK has no API class for, through its client, auth and our policy."""
        client = self.sdk.crm.objects.basic_api.api_client
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"

        def invoke(**kwargs: Any) -> Any:
            return client.call_api(
                path,
                method,
                header_params=headers,
                body=body,
                auth_settings=["oauth2"],
                response_types_map={},
                **kwargs,
            )

        return self.call(endpoint, invoke, accept=accept)
