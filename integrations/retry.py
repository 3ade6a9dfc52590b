"""The one retry policy: RetryableError only, jittered exponential backoff, Retry-After honoured.

Every connector call that may be retried goes through `retrying(call)` (or the
`retried()` decorator). Each attempt is a real HTTP call and is counted as one by
the connector's accounting. Tests inject `sleep` so nothing waits for real.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from integrations.errors import RetryableError

DEFAULT_ATTEMPTS = 6
DEFAULT_MAX_WAIT = 60.0
INITIAL_WAIT = 0.5
# A little jitter on top of Retry-After so parallel clients do not return in lockstep.
RETRY_AFTER_JITTER = 0.25

Sleep = Callable[[float], None]
T = TypeVar("T")
P = ParamSpec("P")


class _Wait:
    """Wait `retry_after` when the server named one, else jittered exponential backoff."""

    def __init__(self, max_wait: float) -> None:
        self.max_wait = max_wait
        self.backoff = wait_exponential_jitter(multiplier=INITIAL_WAIT, max=max_wait, jitter=1.0)

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            jitter = RETRY_AFTER_JITTER * random.random()
            return float(min(retry_after + jitter, self.max_wait))
        return float(self.backoff(state))


def policy(
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    max_wait: float = DEFAULT_MAX_WAIT,
    sleep: Sleep | None = None,
    before_sleep: Callable[[RetryCallState], None] | None = None,
) -> Retrying:
    """The tenacity `Retrying` object behind `retrying` and `retried`.

    Args:
        attempts: total attempts, the first included.
        max_wait: the longest single wait in seconds (Retry-After is capped by it).
        sleep: replaces `time.sleep` (tests pass a no-op or a recorder).
        before_sleep: called before each wait, e.g. to log the error.

    Returns:
        A Retrying that retries RetryableError only and re-raises the last error.
    """
    return Retrying(
        retry=retry_if_exception_type(RetryableError),
        stop=stop_after_attempt(attempts),
        wait=_Wait(max_wait),
        sleep=sleep or time.sleep,
        reraise=True,
        before_sleep=before_sleep,
    )


def retrying(
    call: Callable[[], T],
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    max_wait: float = DEFAULT_MAX_WAIT,
    sleep: Sleep | None = None,
) -> T:
    """Call `call()` until it returns or raises something other than RetryableError.

    Args:
        call: a function of no arguments making one attempt.
        attempts: total attempts, the first included.
        max_wait: the longest single wait in seconds.
        sleep: replaces `time.sleep`.

    Returns:
        What `call` returned.

    Raises:
        RetryableError: the last one, when every attempt failed.
        CrmError: any non-retryable error, at once.
    """
    return policy(attempts=attempts, max_wait=max_wait, sleep=sleep)(call)


def retried(
    *,
    attempts: int = DEFAULT_ATTEMPTS,
    max_wait: float = DEFAULT_MAX_WAIT,
    sleep: Sleep | None = None,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorator form of `retrying` for functions that make one attempt per call."""

    def decorate(function: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(function)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return retrying(
                lambda: function(*args, **kwargs),
                attempts=attempts,
                max_wait=max_wait,
                sleep=sleep,
            )

        return wrapper

    return decorate
