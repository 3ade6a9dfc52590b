"""The HubSpot connector: the `Connector` protocol on hubspot-api-client, economical with calls.

Reads: changed records through search (keyset windows that end at now minus the
search index lag, see `hubspot_search`), full reads through the list endpoint,
reads by id through batch read, deletions through the archived list. Writes:
batch endpoints, 100 inputs per call (see `hubspot_write_side` and `hubspot_writes`).
Every call goes through one Transport: paced, counted, retried, its errors sorted.

Beyond the protocol: `deal_stage_ids`, `owners`, `find`, `find_by` and `clear_then_set`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from config.settings import HubSpotSettings
from integrations import hubspot_history, retry
from integrations.accounting import BudgetGuard, Meter
from integrations.base import (
    ApiUsage,
    Cursor,
    Deletion,
    FieldInfo,
    FieldSpec,
    Record,
    System,
)
from integrations.hubspot_associations import associated_ids
from integrations.hubspot_http import Transport
from integrations.hubspot_reads import Reader
from integrations.hubspot_schema import Schema
from integrations.hubspot_scopes import ScopeCheck, check_scopes
from integrations.hubspot_write_side import HubSpotWriteSide
from integrations.hubspot_writes import Writer
from integrations.limiter import RateLimiter

Clock = Callable[[], datetime]


class HubSpotConnector(HubSpotWriteSide):
    """Read, write and describe one HubSpot portal (the writes are `HubSpotWriteSide`'s)."""

    system: System = "hubspot"

    def __init__(
        self,
        settings: HubSpotSettings,
        *,
        ca_bundle: str | None = None,
        guard: BudgetGuard | None = None,
        now: Clock | None = None,
        overlap: timedelta = timedelta(0),
        retry_sleep: retry.Sleep | None = None,
        attempts: int = retry.DEFAULT_ATTEMPTS,
    ) -> None:
        """Build the SDK client and the pacing for one portal.

        Args:
            settings: host, token, timeouts and the starting pace (the limiter then
                follows the limit the portal advertises).
            ca_bundle: CA file to trust (the sandbox's), else the system's.
            guard: this run's budget cap; by default a share of the daily budget left.
            now: the portal's clock (tests pass the sandbox's).
            overlap: 0 (the default) reads only records after the cursor; more re-reads
                every record from `cursor - overlap` on (see `Connector.changed_since`).
            retry_sleep: replaces time.sleep in the retry policy (tests).
            attempts: attempts per call, the first included.
        """
        settings.require()
        assert settings.access_token is not None
        self.settings = settings
        self.now: Clock = now or (lambda: datetime.now(UTC))
        self.overlap = overlap
        self.limiter = RateLimiter(
            settings.calls_per_10s,
            search_per_second=settings.search_per_second,
            concurrency=settings.concurrency,
        )
        self.meter = Meter("hubspot", guard=guard or BudgetGuard(share=settings.budget_share))
        self.transport = Transport(
            settings.host,
            settings.access_token.get_secret_value(),
            ca_bundle=ca_bundle,
            timeout=settings.timeout_seconds,
            limiter=self.limiter,
            meter=self.meter,
            attempts=attempts,
            sleep=retry_sleep,
        )
        self.reader = Reader(self.transport, settings, self.now)
        self.writer = Writer(self.transport, settings.concurrency)
        self.schema = Schema(self.transport)

    def __repr__(self) -> str:
        return f"HubSpotConnector(host={self.settings.host!r})"

    # --- reads ---------------------------------------------------------------------
    def changed_since(
        self, object: str, cursor: Cursor | None, fields: Sequence[str]
    ) -> Iterator[Record]:
        """Records changed after the cursor and before now minus the search lag, oldest first.

        Records at or before the cursor's (time, id) are dropped (with the default
        overlap of 0): the window's end at now minus the search lag is HubSpot's guard
        against late writes, so nothing behind the cursor needs reading again.
        """
        return self.reader.changed_since(object, cursor, fields, self.overlap)

    def read_all(self, object: str, fields: Sequence[str]) -> Iterator[Record]:
        """Every live record, 100 per call, only the requested properties."""
        return self.reader.read_all(object, fields)

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """The live records with these ids, 100 per call; missing (or non-numeric) ids left out."""
        return self.reader.read_by_ids(object, ids, fields)

    def read_history(
        self, object: str, ids: Sequence[str], properties: Sequence[str]
    ) -> dict[str, dict[str, datetime]]:
        """When each property last changed (property history), 50 records per call.

        Returns:
            record id -> property -> time of its newest change; unknown ids left out.
        """
        return hubspot_history.read_history(self.transport, object, ids, properties)

    def deletions(self, object: str, since: datetime | None) -> Iterator[Deletion]:
        """Archived records (archived after `since`), then records merged away.

        Archived ones come from sweeping the archived list (archiving does not move
        the modified time, so no search finds them); merged-away ones from a search
        for winners changed after `since`, each loser with `merged_into` its winner.
        A GDPR delete leaves nothing behind: the caller sees that record vanish.
        """
        return self.reader.deletions(object, since)

    def find(
        self, object: str, prop: str, values: Sequence[Any], fields: Sequence[str]
    ) -> list[Record]:
        """Records whose `prop` is one of `values`: one search per 100 values."""
        return self.reader.find(object, prop, values, fields)

    def find_few(
        self, object: str, prop: str, values: Sequence[Any], fields: Sequence[str], at_most: int
    ) -> list[Record] | None:
        """Records whose `prop` is one of `values`, or None (one search) if over `at_most` match."""
        return self.reader.find_few(object, prop, values, fields, at_most)

    def find_by(self, object: str, prop: str, value: str, fields: Sequence[str]) -> list[Record]:
        """Records whose `prop` equals `value` (the value is sent as data, never as syntax)."""
        return self.reader.find_by(object, prop, value, fields)

    def read_associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """Record id -> associated `to_type` ids (v4 batch read, 100 ids a call)."""
        return associated_ids(self.transport, from_type, to_type, ids)

    # --- schema and budget ---------------------------------------------------------
    def identity(self) -> str:
        """The portal id."""
        return self.schema.identity()

    def describe(self, object: str) -> dict[str, FieldInfo]:
        """Properties of an object type, by name."""
        return self.schema.describe(object)

    def provision(self, specs: Sequence[FieldSpec], dry_run: bool) -> list[str]:
        """Create the missing crmops properties (idempotent)."""
        return self.schema.provision(specs, dry_run)

    def scopes(self) -> ScopeCheck:
        """Scopes crmops needs that the private app lacks (see `hubspot_scopes`)."""
        assert self.settings.access_token is not None
        return check_scopes(self.transport, self.settings.access_token.get_secret_value())

    def deal_stage_ids(self) -> dict[str, str]:
        """Deal stage label -> stage id in this portal."""
        return self.schema.deal_stage_ids()

    def owners(self) -> list[dict[str, Any]]:
        """Owners (id, email, userId, archived), archived ones included."""
        return self.schema.owners()

    def usage(self) -> ApiUsage:
        """Calls made so far, per endpoint, and the daily budget HubSpot reports left."""
        return self.meter.snapshot()
