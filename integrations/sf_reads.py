"""The Salesforce connector's read side: SOQL pages read lazily, in (SystemModstamp, Id) order."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from integrations import sf_history, sf_writes, soql
from integrations.base import Cursor, Deletion, Record
from integrations.errors import FatalError
from integrations.sf_client import SalesforceClient
from integrations.sf_http import SYSTEM
from integrations.sf_records import TIME_FIELD, parse_sf_datetime, record_from

PAGE_SIZE = 2000
READ_BY_IDS_BATCH = 200
MERGEABLE = frozenset({"Lead", "Contact", "Account"})
QUERY_HEADERS = {"Sforce-Query-Options": f"batchSize={PAGE_SIZE}"}
LOCATOR_GONE = "INVALID_QUERY_LOCATOR"
HORIZON_MARGIN = timedelta(seconds=1)  # an HTTP Date is whole seconds


class SalesforceReads(SalesforceClient):
    """Reads of the `Connector` protocol: changed, whole, by id, by value, deleted."""

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
        self.horizons.pop(object, None)
        started: datetime | None = None
        for raw in self._ordered(object, ["Id", TIME_FIELD, *fields], where):
            started = started or self.session.server_time  # the first page's answer
            record = record_from(object, raw)
            if floor is None or (record.modified, record.id) > (floor.modified, floor.record_id):
                yield record
        started = started or self.session.server_time  # no record: the one answer
        if started is not None:
            self.horizons[object] = started - HORIZON_MARGIN

    def read_horizon(self, object: str) -> datetime | None:
        """When the last complete `changed_since` read of `object` ran, by the server's clock.

        The query's result is fixed when it runs, so every record modified before this
        time minus `overlap` (late commits) had committed and was read: a caller may
        move its cursor up to here even when nothing changed, so a quiet org is not
        read again from behind its last burst of writes on every run.
        """
        return self.horizons.get(object)

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
