"""The HubSpot connector: the `Connector` protocol on hubspot-api-client, economical with calls.

Reads: changed records through search (keyset windows that end at now minus the
search index lag, see `hubspot_search`), full reads through the list endpoint,
reads by id through batch read, deletions through the archived list. Writes:
batch endpoints, 100 inputs per call (see `hubspot_writes`). Every call goes
through one Transport: paced, counted, retried, its errors sorted.

Beyond the protocol: `deal_stage_ids`, `owners`, `find`, `find_by` and `clear_then_set`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from functools import partial
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
    TaskSpec,
    WriteResult,
    WriteRow,
)
from integrations.errors import CrmError, write_into
from integrations.hubspot_associations import associated_ids, remove_associations
from integrations.hubspot_http import Transport
from integrations.hubspot_reads import Reader
from integrations.hubspot_schema import Schema
from integrations.hubspot_scopes import ScopeCheck, check_scopes
from integrations.hubspot_writes import (
    TASK_LINKS,
    Input,
    Writer,
    checked_id,
    failed,
    key_property,
    task_properties,
    upsert_input,
)
from integrations.limiter import RateLimiter

Clock = Callable[[], datetime]


class HubSpotConnector:
    """Read, write and describe one HubSpot portal."""

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

    def find_by(self, object: str, prop: str, value: str, fields: Sequence[str]) -> list[Record]:
        """Records whose `prop` equals `value` (the value is sent as data, never as syntax)."""
        return self.reader.find_by(object, prop, value, fields)

    # --- writes --------------------------------------------------------------------
    def create(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create records; keyed rows are upserted on a unique property, so never duplicated."""
        groups: dict[tuple[str, str], list[tuple[int, Input]]] = defaultdict(list)
        for i, row in enumerate(rows):
            if row.key:
                prop = key_property(object, row)
                groups[("upsert", prop)].append((i, upsert_input(prop, row.key, row.fields)))
            else:
                body = {"properties": dict(row.fields), "objectWriteTraceId": str(i)}
                groups[("create", "")].append((i, Input(body, str(i))))
        results: list[WriteResult | None] = [None] * len(rows)
        for (verb, _), members in groups.items():
            items = [item for _, item in members]
            batched = partial(self.writer.batched, object, verb, items)
            write_into(results, [i for i, _ in members], batched)
        return [r for r in results if r is not None]

    def update(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update records by id, 100 per call."""
        ids = [checked_id(row.id or "") for row in rows]
        results: list[WriteResult | None] = [
            None if i is not None else failed("INVALID_ID", f"not a HubSpot id: {row.id!r}")
            for i, row in zip(ids, rows, strict=True)
        ]
        inputs = [
            Input({"id": i, "properties": dict(row.fields)}, i)
            for i, row in zip(ids, rows, strict=True)
            if i is not None
        ]
        sent = [n for n, i in enumerate(ids) if i is not None]
        write_into(results, sent, partial(self.writer.batched, object, "update", inputs))
        return [r for r in results if r is not None]

    def upsert(self, object: str, key_field: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create or update by a unique property (its value from the fields, else the key)."""
        values = [str(row.fields.get(key_field) or row.key or "").strip() for row in rows]
        results: list[WriteResult | None] = [
            None if v else failed("MISSING_KEY", f"no value for {key_field}") for v in values
        ]
        inputs = [
            upsert_input(key_field, v, dict(row.fields))
            for v, row in zip(values, rows, strict=True)
            if v
        ]
        sent = [n for n, v in enumerate(values) if v]
        write_into(results, sent, partial(self.writer.batched, object, "upsert", inputs))
        return [r for r in results if r is not None]

    def clear_then_set(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update in two calls per batch, clearing the fields first (lifecyclestage backward)."""
        try:
            blanks = [WriteRow({k: "" for k in r.fields}, id=r.id) for r in rows]
            cleared = self.update(object, blanks)
        except CrmError as stopped:
            stopped.partial_results = [None] * len(rows)  # nothing is set yet
            raise
        results: list[WriteResult | None] = [None if r.ok else r for r in cleared]
        ready = [n for n, result in enumerate(cleared) if result.ok]
        write_into(results, ready, lambda: self.update(object, [rows[n] for n in ready]))
        return [r for r in results if r is not None]

    def read_associations(
        self, from_type: str, to_type: str, ids: Sequence[str]
    ) -> dict[str, list[str]]:
        """Record id -> associated `to_type` ids (v4 batch read, 100 ids a call)."""
        return associated_ids(self.transport, from_type, to_type, ids)

    def associate(
        self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]
    ) -> list[WriteResult]:
        """Default associations (from id, to id), 100 a call; one result per pair."""
        return self.writer.associate(from_type, to_type, pairs)

    def dissociate(self, from_type: str, to_type: str, pairs: Sequence[tuple[str, str]]) -> None:
        """Remove associations (from id, to id), 100 records a call (v4 batch archive)."""
        remove_associations(self.transport, from_type, to_type, pairs)

    def write_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """Upsert tasks by `crmops_key`, then link open ones to their contact and deal."""
        inputs = [upsert_input("crmops_key", t.key, task_properties(t)) for t in tasks]
        results = self.writer.batched("tasks", "upsert", inputs)
        try:
            for attribute, to_type in TASK_LINKS:
                self._link_new_tasks(tasks, results, attribute, to_type)
        except CrmError as stopped:
            # The tasks are saved; their answers are the progress to keep.
            stopped.partial_results = list(results)
            raise
        return results

    def _link_new_tasks(
        self, tasks: Sequence[TaskSpec], results: list[WriteResult], attribute: str, to_type: str
    ) -> None:
        pairs: list[tuple[str, str]] = []
        where: list[int] = []
        for i, (task, result) in enumerate(zip(tasks, results, strict=True)):
            target = getattr(task, attribute)
            # An open task is linked even when not "new": a resent upsert whose first
            # answer was lost reports the task as existing, yet nothing linked it.
            fresh = result.created or task.status == "open"
            if not (result.ok and fresh and target and result.id):
                continue
            to_id = checked_id(target)
            if to_id is None:
                results[i] = failed("INVALID_ID", f"task saved; {target!r} is no id", result.id)
                continue
            pairs.append((result.id, to_id))
            where.append(i)
        for i, link in zip(where, self.writer.associate("tasks", to_type, pairs), strict=True):
            if not link.ok:
                message = f"task saved, but linking it to {to_type} failed: {link.message}"
                results[i] = WriteResult(
                    ok=False,
                    id=results[i].id,
                    created=True,
                    error_code=link.error_code,
                    message=message,
                )

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
