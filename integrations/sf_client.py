"""The Salesforce edge: the simple-salesforce client, session renewal and the one call path.

Every SDK call of the connector goes through `SalesforceClient._call`: errors
sorted at this edge, a renewable session renewed once, retried by the one policy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from simple_salesforce import Salesforce

from integrations.accounting import Meter
from integrations.errors import AuthError
from integrations.retry import DEFAULT_ATTEMPTS, Sleep, retrying
from integrations.sf_auth import Login
from integrations.sf_http import API_VERSION, SYSTEM, MeteredSession, sorted_call

DEFAULT_OVERLAP = timedelta(seconds=60)
# First wait before resubmitting records a row lock refused; doubles each round.
LOCK_PAUSE = 0.5
T = TypeVar("T")


class SalesforceClient:
    """One org's SDK client and the path every call takes; the connector builds on it."""

    def __init__(
        self,
        instance_url: str,
        session_id: str | None = None,
        *,
        login: Login | None = None,
        meter: Meter | None = None,
        ca_bundle: Path | str | None = None,
        timeout: float = 30.0,
        sleep: Sleep | None = None,
        attempts: int = DEFAULT_ATTEMPTS,
        overlap: timedelta = DEFAULT_OVERLAP,
        time_zone: str | ZoneInfo = "UTC",
        api_version: str = API_VERSION,
    ) -> None:
        """Open a client on an org (signing in first when only a login flow is given).

        Args:
            instance_url: the org's instance URL.
            session_id: a session id; None to sign in through `login`.
            login: an auth flow that can sign in again when the session expires.
            meter: counts calls and holds this run's budget cap.
            ca_bundle: CA file to trust instead of the system's.
            timeout: seconds per HTTP call.
            sleep: replaces time.sleep in the retry policy (tests).
            attempts: attempts per call, the first included.
            overlap: how far behind the cursor `changed_since` re-reads (late commits).
            time_zone: the org's zone (IANA name or ZoneInfo): Task `ActivityDate` is
                the due instant's date there. Settings hold no org zone, so callers pass
                the rules file's `timezone`; UTC when not given.
            api_version: REST API version, e.g. "59.0".
        """
        self.meter = meter or Meter(SYSTEM)
        self.session = MeteredSession(self.meter, timeout, ca_bundle if ca_bundle else True)
        self._login = login
        self._sleep = sleep
        self._attempts = attempts
        self.overlap = overlap
        self.horizons: dict[str, datetime] = {}  # object -> when its last changed-since read ran
        self.time_zone = time_zone if isinstance(time_zone, ZoneInfo) else ZoneInfo(time_zone)
        self.api_version = api_version
        if session_id is None:
            if login is None:
                raise ValueError("a Salesforce connector needs a session id or a login flow")
            session_id, instance_url = self._call(lambda: login(self.session))
        self.sf = self._sdk(instance_url, session_id)

    def _sdk(self, instance: str, session_id: str) -> Salesforce:
        url = instance if "://" in instance else f"https://{instance}"
        return Salesforce(
            instance_url=url, session_id=session_id, session=self.session, version=self.api_version
        )

    # --- the edge: every SDK call goes through here ---------------------------------

    def _call(self, function: Callable[[], T], repeatable: bool = True) -> T:
        """One logical call: errors sorted, a renewable session renewed once, retries."""

        def attempt() -> T:
            return sorted_call(function, self._login is not None, repeatable)

        def renewing() -> T:
            try:
                return attempt()
            except AuthError as error:
                if not error.renewable or self._login is None:
                    raise
                self._renew()
                return attempt()

        return retrying(renewing, attempts=self._attempts, sleep=self._sleep)

    def _renew(self) -> None:
        """Sign in again (the flow allows it) and rebuild the SDK client on the new session."""
        login = self._login
        assert login is not None
        session_id, instance = self._call(lambda: login(self.session))
        self.sf = self._sdk(instance, session_id)

    def _pause(self, round_number: int) -> None:
        (self._sleep or time.sleep)(LOCK_PAUSE * 2**round_number)
