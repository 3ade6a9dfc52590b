"""The Salesforce connector: the Connector protocol on simple-salesforce's REST calls.

Reads are SOQL ordered by (SystemModstamp, Id) in pages of 2,000, yielded lazily;
writes are sObject Collections of 200 with a result per record; every call is
counted, retried by the one policy, and its errors sorted at this edge.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from simple_salesforce import Salesforce

from integrations import sf_history, sf_schema, sf_writes, soql
from integrations.accounting import Meter
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
from integrations.errors import AuthError, FatalError, write_into
from integrations.retry import DEFAULT_ATTEMPTS, Sleep, retrying
from integrations.sf_auth import Login
from integrations.sf_http import API_VERSION, SYSTEM, MeteredSession, sorted_call
from integrations.sf_records import TIME_FIELD, parse_sf_datetime, record_from

PAGE_SIZE = 2000
READ_BY_IDS_BATCH = 200
DEFAULT_OVERLAP = timedelta(seconds=60)
MERGEABLE = frozenset({"Lead", "Contact", "Account"})
QUERY_HEADERS = {"Sforce-Query-Options": f"batchSize={PAGE_SIZE}"}
LOCATOR_GONE = "INVALID_QUERY_LOCATOR"
LOCK_PAUSE = 0.5
T = TypeVar("T")


class SalesforceConnector:
    """One Salesforce org through simple-salesforce; see `integrations.base.Connector`."""

    system: System = "salesforce"

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

    def __repr__(self) -> str:
        return f"SalesforceConnector(instance={self.sf.sf_instance!r})"

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

    # --- reads -------------------------------------------------------------------------

    def _pages(
        self, text: str, include_deleted: bool, ahead: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Records of one SOQL query, a page (one call) at a time, following nextRecordsUrl.

        With `ahead`, the next page is fetched in a background thread while the caller
        works through this one (same calls, in the same order; whole reads only, whose
        callers make no other call meanwhile).
        """
        result = self._call(
            lambda: self.sf.query(text, include_deleted=include_deleted, headers=QUERY_HEADERS)
        )
        with ThreadPoolExecutor(max_workers=1) as pool:  # a thread only once submitted to
            while not result.get("done", True):
                more = partial(self._call, partial(self._more, result["nextRecordsUrl"]))
                following = pool.submit(more) if ahead else None
                yield from result["records"]
                result = following.result() if following is not None else more()
        yield from result["records"]

    def _more(self, next_url: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.sf.query_more(
            next_url, identifier_is_url=True, headers=QUERY_HEADERS
        )
        return answer

    def _ordered(
        self,
        object: str,
        fields: Sequence[str],
        where: str | None,
        include_deleted: bool = False,
        ahead: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """Records by (SystemModstamp, Id); an expired query locator resumes after the last pair."""
        after: tuple[datetime, str] | None = None
        while True:
            condition = where
            if after is not None:
                pair = soql.after_pair(TIME_FIELD, *after)
                condition = f"({where}) AND {pair}" if where else pair
            text = soql.select(object, fields, condition, order_by=(TIME_FIELD, "Id"))
            resumed_from = after
            try:
                for raw in self._pages(text, include_deleted, ahead):
                    yield raw
                    after = (parse_sf_datetime(raw[TIME_FIELD]), raw["Id"])
                return
            except FatalError as error:
                if error.code != LOCATOR_GONE or after == resumed_from:
                    raise

    def changed_since(
        self, object: str, cursor: Cursor | None, fields: Sequence[str]
    ) -> Iterator[Record]:
        """Records modified at or after `cursor - overlap`, oldest first by (SystemModstamp, Id).

        The overlap (60 s by default) is re-read on purpose, the cursor's own record
        included: a long transaction can commit a record whose SystemModstamp is
        older than the cursor after the last run saw past it. Callers diff against
        their bases, so a re-read record is a no-op. With no overlap, records at or
        before the cursor's (SystemModstamp, Id) are dropped.
        """
        where, floor = None, None
        if cursor is not None:
            floor = cursor if not self.overlap else Cursor(cursor.modified - self.overlap, "")
            where = f"{TIME_FIELD} >= {soql.datetime_literal(floor.modified)}"
        for raw in self._ordered(object, ["Id", TIME_FIELD, *fields], where):
            record = record_from(object, raw)
            if floor is None or (record.modified, record.id) > (floor.modified, floor.record_id):
                yield record

    def read_all(self, object: str, fields: Sequence[str]) -> Iterator[Record]:
        """Every live record of `object`, lazily (the next page read while this one is used)."""
        for raw in self._ordered(object, ["Id", TIME_FIELD, *fields], None, ahead=True):
            yield record_from(object, raw)

    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """The records with these ids, 200 ids to a query; missing ids are left out."""
        records: list[Record] = []
        columns = ["Id", TIME_FIELD, *fields]
        for chunk in sf_writes.chunks(list(dict.fromkeys(ids)), READ_BY_IDS_BATCH):
            text = soql.select(object, columns, f"Id IN {soql.id_list(chunk)}")
            records.extend(record_from(object, raw) for raw in self._pages(text, False))
        return records

    def read_history(
        self, object: str, ids: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, datetime]]:
        """When tracked fields last changed (`LeadHistory`, `ContactHistory`), 200 ids a query.

        Returns:
            record id -> field -> time of its newest change; untracked fields left out.
        """
        return sf_history.read_history(lambda text: self._pages(text, False), object, ids, fields)

    def find(
        self, object: str, field: str, values: Sequence[Any], fields: Sequence[str]
    ) -> list[Record]:
        """Live records whose `field` equals one of `values` (escaped), 200 values a query."""
        records: list[Record] = []
        columns = ["Id", TIME_FIELD, *fields]
        for chunk in sf_writes.chunks(list(dict.fromkeys(values)), READ_BY_IDS_BATCH):
            listed = ", ".join(soql.literal(v) for v in chunk)
            text = soql.select(object, columns, f"{soql.field(field)} IN ({listed})")
            records.extend(record_from(object, raw) for raw in self._pages(text, False))
        return records

    def find_by(self, object: str, field: str, value: Any, fields: Sequence[str]) -> list[Record]:
        """Live records whose `field` equals `value` (one value of `find`)."""
        return self.find(object, field, [value], fields)

    def deletions(self, object: str, since: datetime | None) -> Iterator[Deletion]:
        """Deleted and merged records (queryAll), oldest first."""
        where = "IsDeleted = TRUE"
        if since is not None:
            where += f" AND {TIME_FIELD} >= {soql.datetime_literal(since)}"
        columns = ["Id", TIME_FIELD, *(["MasterRecordId"] if object in MERGEABLE else [])]
        for raw in self._ordered(object, columns, where, include_deleted=True):
            yield Deletion(
                object,
                raw["Id"],
                when=parse_sf_datetime(raw[TIME_FIELD]),
                merged_into=raw.get("MasterRecordId"),
            )

    def identity(self) -> str:
        """The org id."""
        rows = list(self._pages(soql.select("Organization", ["Id"], limit=1), False))
        if not rows:
            raise FatalError(SYSTEM, None, "NO_ORGANIZATION", "the Organization query was empty")
        return str(rows[0]["Id"])

    # --- writes ------------------------------------------------------------------------

    def _collection(
        self, method: str, path: str, records: list[dict[str, Any]], created: bool, repeatable: bool
    ) -> list[WriteResult]:
        def send(chunk: list[dict[str, Any]]) -> list[dict[str, Any]]:
            body = {"allOrNone": False, "records": chunk}
            answer = self._call(
                lambda: self.sf.restful(path, method=method, json=body), repeatable=repeatable
            )
            return list(answer or [])

        return sf_writes.write_collection(send, records, created_default=created, pause=self._pause)

    def create(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create records; rows with a `key` are upserted on the object's key field."""
        keyed = [i for i, row in enumerate(rows) if row.key is not None]
        plain = [i for i, row in enumerate(rows) if row.key is None]
        results: list[WriteResult | None] = [None] * len(rows)
        if keyed:
            field = sf_writes.key_field(object)
            keyed_rows = [WriteRow({**rows[i].fields, field: rows[i].key}) for i in keyed]
            write_into(results, keyed, lambda: self.upsert(object, field, keyed_rows))
        if plain:
            records = [sf_writes.collection_record(object, rows[i].fields) for i in plain]
            write_into(
                results,
                plain,
                lambda: self._collection("POST", "composite/sobjects", records, True, False),
            )
        return [r for r in results if r is not None]

    def update(self, object: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Update records by id, 200 to a call."""
        for row in rows:
            soql.record_id(row.id or "")
        records = [sf_writes.collection_record(object, r.fields, Id=r.id) for r in rows]
        return self._collection("PATCH", "composite/sobjects", records, False, True)

    def upsert(self, object: str, key_field: str, rows: Sequence[WriteRow]) -> list[WriteResult]:
        """Create or update by an external-id field (the value in `key` or in the fields)."""
        path = f"composite/sobjects/{soql.name(object)}/{soql.field(key_field)}"
        records = [
            sf_writes.collection_record(
                object, {**row.fields, **({key_field: row.key} if row.key else {})}
            )
            for row in rows
        ]
        return self._collection("PATCH", path, records, False, True)

    def write_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        """Create or update Tasks by their crmops key."""
        rows = [WriteRow(sf_writes.task_fields(t, self.time_zone)) for t in tasks]
        return self.upsert("Task", sf_writes.key_field("Task"), rows)

    # --- schema and usage --------------------------------------------------------------

    def describe(self, object: str) -> dict[str, FieldInfo]:
        """Fields of `object` by name."""
        path = f"sobjects/{soql.name(object)}/describe"
        answer = self._call(lambda: self.sf.restful(path))
        return sf_schema.fields_by_name(answer or {})

    def provision(self, specs: Sequence[FieldSpec], dry_run: bool) -> list[str]:
        """Create the missing custom fields through the Tooling API; says what it did."""
        done: list[str] = []
        described: dict[str, dict[str, FieldInfo]] = {}
        for spec in specs:
            if spec.object not in described:
                described[spec.object] = self.describe(spec.object)
            if spec.name in described[spec.object]:
                continue
            body = sf_schema.custom_field_metadata(spec)
            if not dry_run:
                self._create_field(spec, body)
            verb = "would create" if dry_run else "created"
            done.append(f"{verb} {body['FullName']} ({body['Metadata']['type']})")
        return done

    def _create_field(self, spec: FieldSpec, body: dict[str, Any]) -> None:
        """POST a CustomField; a retry that finds it created (lost answer) is fine."""
        try:
            self._call(
                lambda: self.sf.toolingexecute("sobjects/CustomField", method="POST", data=body)
            )
        except FatalError:
            if spec.name not in self.describe(spec.object):
                raise

    def usage(self) -> ApiUsage:
        """Calls made so far and the org's own count of what is left today."""
        return self.meter.snapshot()
