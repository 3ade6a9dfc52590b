"""The HubSpot connector: the `Connector` protocol on hubspot-api-client, economical with calls.

Reads: changed records through search (keyset windows that end at now minus the
search index lag, see `hubspot_search`), full reads through the list endpoint,
reads by id through batch read, deletions through the archived list. Writes:
batch endpoints, 100 inputs per call (see `hubspot_writes`). Every call goes
through one Transport: paced, counted, retried, its errors sorted.

Beyond the protocol: `deal_stage_ids`, `owners`, `find_by` and `clear_then_set`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from config.settings import HubSpotSettings
from integrations import retry
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
from integrations.hubspot_batch import chunks
from integrations.hubspot_http import Transport
from integrations.hubspot_schema import Schema
from integrations.hubspot_search import (
    OBJECT_ID,
    Page,
    SearchFilter,
    SearchQuery,
    changed,
    from_ms,
    id_value,
    parse_time,
    to_ms,
)
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
from integrations.limiter import CallKind, RateLimiter

MODIFIED_PROPERTY = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "tasks": "hs_lastmodifieddate",
}
LIST_PAGE_LIMIT = 100
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
            settings: host, token, timeouts and the portal's rate limits.
            ca_bundle: CA file to trust (the sandbox's), else the system's.
            guard: this run's budget cap; by default a share of the daily budget left.
            now: the portal's clock (tests pass the sandbox's).
            overlap: how far before the cursor a changed-records search starts.
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
        self.writer = Writer(self.transport, settings.concurrency)
        self.schema = Schema(self.transport)

    def __repr__(self) -> str:
        return f"HubSpotConnector(host={self.settings.host!r})"

    # --- reads ---------------------------------------------------------------------
    def changed_since(
        self, object: str, cursor: Cursor | None, fields: Sequence[str]
    ) -> Iterator[Record]:
        """Records changed after the cursor and before now minus the search lag, oldest first."""
        prop = MODIFIED_PROPERTY[object]
        end_ms = to_ms(self.now() - timedelta(seconds=self.settings.search_lag_seconds))
        start_ms, after = 0, None
        if cursor is not None:
            start_ms = to_ms(cursor.modified - self.overlap)
            record_id = cursor.record_id if cursor.record_id.isdigit() else "0"
            after = (to_ms(cursor.modified), int(record_id))
        names = list(dict.fromkeys([*fields, prop]))
        run = partial(self._search, object, names)
        for raw in changed(run, prop, start_ms, end_ms, after=after):
            yield self._record(object, raw, fields)

    def _search(self, object: str, names: Sequence[str], query: SearchQuery) -> Page:
        api = self.transport.sdk.crm.objects.search_api
        answer = self.transport.call(
            f"POST /crm/v3/objects/{object}/search",
            partial(api.do_search_with_http_info, object, query.body(names)),
            kind=CallKind.SEARCH,
        )
        body = answer.body or {}
        return Page(list(body.get("results") or []), int(body.get("total") or 0))

    def _record(self, object: str, raw: dict[str, Any], fields: Sequence[str]) -> Record:
        props = raw.get("properties") or {}
        stamp = props.get(MODIFIED_PROPERTY[object]) or raw.get("updatedAt")
        return Record(
            object=object,
            id=str(raw["id"]),
            modified=from_ms(parse_time(stamp)),
            fields={f: props.get(f) for f in fields},
            archived=bool(raw.get("archived", False)),
        )

    def read_all(self, object: str, fields: Sequence[str]) -> Iterator[Record]:
        """Every live record, 100 per call, only the requested properties."""
        names = list(dict.fromkeys([*fields, MODIFIED_PROPERTY[object]]))
        for raw in self._list(object, names, archived=False):
            yield self._record(object, raw, fields)

    def _list(self, object: str, names: Sequence[str], archived: bool) -> Iterator[dict[str, Any]]:
        api = self.transport.sdk.crm.objects.basic_api
        after: str | None = None
        while True:
            kwargs: dict[str, Any] = {"limit": LIST_PAGE_LIMIT, "properties": list(names)}
            kwargs.update({"archived": archived} if archived else {})
            kwargs.update({"after": after} if after else {})
            answer = self.transport.call(
                f"GET /crm/v3/objects/{object}",
                partial(api.get_page_with_http_info, object, **kwargs),
            )
            body = answer.body or {}
            yield from body.get("results") or []
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            if not after:
                return

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """The live records with these ids, 100 per call; missing (or non-numeric) ids left out."""
        wanted = [i for i in dict.fromkeys(checked_id(i) for i in ids) if i is not None]
        names = list(dict.fromkeys([*fields, MODIFIED_PROPERTY[object]]))
        batches = chunks(wanted)
        workers = max(1, min(self.settings.concurrency, len(batches)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            pages = list(pool.map(partial(self._read_batch, object, names), batches))
        found = {str(r["id"]): r for page in pages for r in page}
        return [self._record(object, found[i], fields) for i in wanted if i in found]

    def _read_batch(
        self, object: str, names: Sequence[str], ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        api = self.transport.sdk.crm.objects.batch_api
        body = {"inputs": [{"id": i} for i in ids], "properties": list(names)}
        answer = self.transport.call(
            f"POST /crm/v3/objects/{object}/batch/read",
            partial(api.read_with_http_info, object, body),
        )
        return list((answer.body or {}).get("results") or [])

    def deletions(self, object: str, since: datetime | None) -> Iterator[Deletion]:
        """Archived records (archived after `since`), by sweeping the archived list.

        Merged-away records are listed on their winner (`hs_merged_object_ids`) and a
        GDPR delete leaves nothing: both are for the caller to reconcile.
        """
        since_ms = to_ms(since) if since is not None else None
        for raw in self._list(object, [OBJECT_ID], archived=True):
            when = raw.get("archivedAt")
            when_ms = parse_time(when) if when else None
            if since_ms is not None and when_ms is not None and when_ms <= since_ms:
                continue
            yield Deletion(object, str(raw["id"]), from_ms(when_ms) if when_ms else None)

    def find_by(self, object: str, prop: str, value: str, fields: Sequence[str]) -> list[Record]:
        """Records whose `prop` equals `value` (the value is sent as data, never as syntax)."""
        names = list(dict.fromkeys([*fields, MODIFIED_PROPERTY[object]]))
        found: list[Record] = []
        last_id = "0"
        while True:
            filters = (SearchFilter(prop, "EQ", str(value)), SearchFilter(OBJECT_ID, "GT", last_id))
            page = self._search(object, names, SearchQuery(filters, OBJECT_ID))
            found += [self._record(object, r, fields) for r in page.results]
            if len(page.results) >= page.total or not page.results:
                return found
            last_id = id_value(found[-1].id)

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
            answers = self.writer.batched(object, verb, [item for _, item in members])
            for (i, _), answer in zip(members, answers, strict=True):
                results[i] = answer
        return [r for r in results if r is not None]

    def update(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update records by id, 100 per call."""
        ids = [checked_id(row.id or "") for row in rows]
        inputs = [
            Input({"id": i, "properties": dict(row.fields)}, i)
            for i, row in zip(ids, rows, strict=True)
            if i is not None
        ]
        answers = iter(self.writer.batched(object, "update", inputs))
        return [
            next(answers)
            if i is not None
            else failed("INVALID_ID", f"not a HubSpot id: {row.id!r}")
            for i, row in zip(ids, rows, strict=True)
        ]

    def upsert(self, object: str, key_field: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create or update by a unique property (its value from the fields, else the key)."""
        values = [str(row.fields.get(key_field) or row.key or "").strip() for row in rows]
        inputs = [
            upsert_input(key_field, v, dict(row.fields))
            for v, row in zip(values, rows, strict=True)
            if v
        ]
        answers = iter(self.writer.batched(object, "upsert", inputs))
        return [
            next(answers) if v else failed("MISSING_KEY", f"no value for {key_field}")
            for v in values
        ]

    def clear_then_set(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update in two calls per batch, clearing the fields first (lifecyclestage backward)."""
        cleared = self.update(object, [WriteRow({k: "" for k in r.fields}, id=r.id) for r in rows])
        ready = [row for row, result in zip(rows, cleared, strict=True) if result.ok]
        answers = iter(self.update(object, ready))
        return [next(answers) if result.ok else result for result in cleared]

    def write_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """Upsert tasks by `crmops_key`, then link new ones to their contact and deal."""
        inputs = [upsert_input("crmops_key", t.key, task_properties(t)) for t in tasks]
        results = self.writer.batched("tasks", "upsert", inputs)
        for attribute, to_type in TASK_LINKS:
            self._link_new_tasks(tasks, results, attribute, to_type)
        return results

    def _link_new_tasks(
        self, tasks: Sequence[TaskSpec], results: list[WriteResult], attribute: str, to_type: str
    ) -> None:
        pairs: list[tuple[str, str]] = []
        where: list[int] = []
        for i, (task, result) in enumerate(zip(tasks, results, strict=True)):
            target = getattr(task, attribute)
            if not (result.ok and result.created and target and result.id):
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

    def deal_stage_ids(self) -> dict[str, str]:
        """Deal stage label -> stage id in this portal."""
        return self.schema.deal_stage_ids()

    def owners(self) -> list[dict[str, Any]]:
        """Owners (id, email, userId, archived), archived ones included."""
        return self.schema.owners()

    def usage(self) -> ApiUsage:
        """Calls made so far, per endpoint, and the daily budget HubSpot reports left."""
        return self.meter.snapshot()
