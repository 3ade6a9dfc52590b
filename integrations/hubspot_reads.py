"""HubSpot reads: search for changes, lists for full reads, batches by id, archived sweeps.

A full read of a large object splits the id space into ranges of near-equal size
(ids at search ranks, see `id_quantiles`) and pages each range through the list
endpoint in its own thread, so the rate limit, not network latency, sets the pace.
That relies on the list endpoint's `after` being the next id; the first page
checks it and the read stays on one sequential stream when it is not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from config.settings import HubSpotSettings
from integrations.base import Cursor, Deletion, Record
from integrations.hubspot_batch import chunks
from integrations.hubspot_http import Transport
from integrations.hubspot_search import (
    IN_VALUES_LIMIT,
    OBJECT_ID,
    Page,
    SearchFilter,
    SearchQuery,
    changed,
    from_ms,
    id_quantiles,
    id_value,
    parse_time,
    to_ms,
)
from integrations.hubspot_writes import checked_id
from integrations.limiter import CallKind
from integrations.streams import merged as streams_merged

MODIFIED_PROPERTY = {
    "contacts": "lastmodifieddate",
    "companies": "hs_lastmodifieddate",
    "deals": "hs_lastmodifieddate",
    "tasks": "hs_lastmodifieddate",
}
LIST_PAGE_LIMIT = 100
# Objects HubSpot merges; the winner lists the merged-away ids in this property.
MERGEABLE = frozenset({"contacts", "companies", "deals"})
MERGED_IDS = "hs_merged_object_ids"
# Below this many records a full read stays on one stream (probing would cost more).
PARALLEL_FROM = 2_000
# Pages buffered ahead of the consumer, per stream.
PAGES_AHEAD = 4
Clock = Callable[[], datetime]
RawPage = list[dict[str, Any]]


class Reader:
    """Every read of one portal through a Transport."""

    def __init__(self, transport: Transport, settings: HubSpotSettings, now: Clock) -> None:
        self.t = transport
        self.settings = settings
        self.now = now

    def changed_since(
        self, object: str, cursor: Cursor | None, fields: Sequence[str], overlap: timedelta
    ) -> Iterator[Record]:
        """Records changed since the cursor and before now minus the search lag, oldest first.

        With no overlap, records at or before the cursor's (time, id) are dropped; with
        one, every record from `cursor - overlap` on is read (see `Connector.changed_since`).
        """
        prop = MODIFIED_PROPERTY[object]
        end_ms = to_ms(self.now() - timedelta(seconds=self.settings.search_lag_seconds))
        start_ms, after = 0, None
        if cursor is not None and overlap > timedelta(0):
            start_ms = to_ms(cursor.modified - overlap)
        elif cursor is not None:
            start_ms = to_ms(cursor.modified)
            record_id = cursor.record_id if cursor.record_id.isdigit() else "0"
            after = (start_ms, int(record_id))
        run = partial(self.search, object, _names(object, fields))
        for raw in changed(run, prop, start_ms, end_ms, after=after):
            yield self.record(object, raw, fields)

    def search(self, object: str, names: Sequence[str], query: SearchQuery) -> Page:
        """One search call."""
        api = self.t.sdk.crm.objects.search_api
        answer = self.t.call(
            f"POST /crm/v3/objects/{object}/search",
            partial(api.do_search_with_http_info, object, query.body(names)),
            kind=CallKind.SEARCH,
        )
        body = answer.body or {}
        return Page(list(body.get("results") or []), int(body.get("total") or 0))

    def record(self, object: str, raw: dict[str, Any], fields: Sequence[str]) -> Record:
        """A Record with only the requested fields."""
        props = raw.get("properties") or {}
        stamp = props.get(MODIFIED_PROPERTY[object]) or raw.get("updatedAt")
        return Record(
            object=object,
            id=str(raw["id"]),
            modified=from_ms(parse_time(stamp)),
            fields={f: props.get(f) for f in fields},
            archived=bool(raw.get("archived", False)),
        )

    # --- full reads ------------------------------------------------------------------
    def read_all(self, object: str, fields: Sequence[str]) -> Iterator[Record]:
        """Every live record, 100 per list call, id ranges read side by side when large."""
        names = _names(object, fields)
        for page in self._all_pages(object, names):
            for raw in page:
                yield self.record(object, raw, fields)

    def _all_pages(self, object: str, names: Sequence[str]) -> Iterator[RawPage]:
        first, after = self._page(object, names, None, archived=False)
        yield first
        if after is None:
            return
        bounds = self._bounds(object, first, after)
        starts, ends = [after, *map(str, bounds)], [*bounds, None]
        streams = [
            partial(self._pages, object, names, start, end, archived=False)
            for start, end in zip(starts, ends, strict=True)
        ]
        yield from (streams[0]() if len(streams) == 1 else merged(streams))

    def _bounds(self, object: str, first: RawPage, after: str) -> list[int]:
        """Ids splitting the rest of a large object into ranges, or none (one stream)."""
        if self.settings.concurrency < 2 or not _is_id_cursor(first, after):
            return []
        run = partial(self.search, object, [OBJECT_ID])
        _, bounds = id_quantiles(run, self.settings.concurrency, min_total=PARALLEL_FROM)
        return [b for b in bounds if b > int(after)]

    def _page(
        self, object: str, names: Sequence[str], after: str | None, archived: bool
    ) -> tuple[RawPage, str | None]:
        api = self.t.sdk.crm.objects.basic_api
        kwargs: dict[str, Any] = {"limit": LIST_PAGE_LIMIT, "properties": list(names)}
        kwargs.update({"archived": archived} if archived else {})
        kwargs.update({"after": after} if after else {})
        answer = self.t.call(
            f"GET /crm/v3/objects/{object}", partial(api.get_page_with_http_info, object, **kwargs)
        )
        body = answer.body or {}
        following = ((body.get("paging") or {}).get("next") or {}).get("after")
        return list(body.get("results") or []), (str(following) if following else None)

    def _pages(
        self, object: str, names: Sequence[str], after: str | None, end: int | None, archived: bool
    ) -> Iterator[RawPage]:
        """Pages from `after` on; with `end`, only ids below it (then stop)."""
        while after is not None and (end is None or int(after) < end):
            page, after = self._page(object, names, after, archived)
            kept = _until(page, end)
            yield kept
            if len(kept) < len(page):
                return

    # --- other reads -----------------------------------------------------------------
    def read_by_ids(self, object: str, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """The live records with these ids, 100 per call; missing (or non-numeric) ids left out."""
        wanted = [i for i in dict.fromkeys(checked_id(i) for i in ids) if i is not None]
        batches = chunks(wanted)
        workers = max(1, min(self.settings.concurrency, len(batches)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            read = partial(self._read_batch, object, _names(object, fields))
            pages = list(pool.map(read, batches))
        found = {str(r["id"]): r for page in pages for r in page}
        return [self.record(object, found[i], fields) for i in wanted if i in found]

    def _read_batch(self, object: str, names: Sequence[str], ids: Sequence[str]) -> RawPage:
        api = self.t.sdk.crm.objects.batch_api
        body = {"inputs": [{"id": i} for i in ids], "properties": list(names)}
        answer = self.t.call(
            f"POST /crm/v3/objects/{object}/batch/read",
            partial(api.read_with_http_info, object, body),
        )
        return list((answer.body or {}).get("results") or [])

    def deletions(self, object: str, since: datetime | None) -> Iterator[Deletion]:
        """Archived records (archived after `since`), then records merged away (see `merges`)."""
        yield from self._archived(object, since)
        if object in MERGEABLE:
            yield from self.merges(object, since)

    def merges(self, object: str, since: datetime | None) -> Iterator[Deletion]:
        """Records merged into another: each winner lists its losers in `hs_merged_object_ids`.

        One search for winners (changed after `since`: a merge moves the winner's
        modified time), paged by id. A loser comes again whenever its winner changes
        later, which a caller treats as already known.
        """
        prop = MODIFIED_PROPERTY[object]
        matches = [SearchFilter(MERGED_IDS, "HAS_PROPERTY")]
        if since is not None:
            matches.append(SearchFilter(prop, "GT", str(to_ms(since))))
        for winner in self._where(object, tuple(matches), [MERGED_IDS]):
            for loser in str(winner.fields.get(MERGED_IDS) or "").split(";"):
                if loser.strip() and loser.strip() != winner.id:
                    yield Deletion(object, loser.strip(), winner.modified, winner.id)

    def _archived(self, object: str, since: datetime | None) -> Iterator[Deletion]:
        since_ms = to_ms(since) if since is not None else None
        page, after = self._page(object, [OBJECT_ID], None, archived=True)
        pages = self._pages(object, [OBJECT_ID], after, None, archived=True)
        for raw in (r for p in (page, *pages) for r in p):
            when = raw.get("archivedAt")
            when_ms = parse_time(when) if when else None
            if since_ms is not None and when_ms is not None and when_ms <= since_ms:
                continue
            yield Deletion(object, str(raw["id"]), from_ms(when_ms) if when_ms else None)

    def find(
        self, object: str, prop: str, values: Sequence[Any], fields: Sequence[str]
    ) -> list[Record]:
        """Records whose `prop` is one of `values`, 100 values a search (IN)."""
        texts = (str(v).strip() for v in values)
        # Emails are unique case-insensitively; HubSpot matches IN values lowercased.
        wanted = list(dict.fromkeys(t.lower() if prop == "email" else t for t in texts if t))
        found: list[Record] = []
        for chunk in chunks(wanted, IN_VALUES_LIMIT):
            found += self._where(object, (SearchFilter(prop, "IN", values=tuple(chunk)),), fields)
        return found

    def find_by(self, object: str, prop: str, value: str, fields: Sequence[str]) -> list[Record]:
        """Records whose `prop` equals `value` (sent as data, never as query syntax)."""
        return self._where(object, (SearchFilter(prop, "EQ", str(value)),), fields)

    def find_few(
        self, object: str, prop: str, values: Sequence[Any], fields: Sequence[str], at_most: int
    ) -> list[Record] | None:
        """Records whose `prop` is one of `values` (100 at most), or None if over `at_most` match.

        The first page's total tells, so finding out that there are too many costs one search.
        """
        if len(values) > IN_VALUES_LIMIT:
            raise ValueError(f"at most {IN_VALUES_LIMIT} values, not {len(values)}")
        found: list[Record] = []
        matches = (SearchFilter(prop, "IN", values=tuple(str(v) for v in values)),)
        for page in self._where_pages(object, matches, fields):
            if page.total > at_most:
                return None
            found += [self.record(object, r, fields) for r in page.results]
        return found

    def _where(
        self, object: str, matches: tuple[SearchFilter, ...], fields: Sequence[str]
    ) -> list[Record]:
        """Records matching every filter, paged by id (no 10,000 cap)."""
        return [
            self.record(object, r, fields)
            for page in self._where_pages(object, matches, fields)
            for r in page.results
        ]

    def _where_pages(
        self, object: str, matches: tuple[SearchFilter, ...], fields: Sequence[str]
    ) -> Iterator[Page]:
        """Search pages of the records matching every filter, paged by id (no 10,000 cap)."""
        names = _names(object, fields)
        last_id = "0"
        while True:
            filters = (*matches, SearchFilter(OBJECT_ID, "GT", last_id))
            page = self.search(object, names, SearchQuery(filters, OBJECT_ID))
            yield page
            # The total counts what is left past last_id: this page holds all of it.
            if len(page.results) >= page.total or not page.results:
                return
            last_id = id_value(str(page.results[-1]["id"]))


def _names(object: str, fields: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([*fields, MODIFIED_PROPERTY[object]]))


def _until(page: RawPage, end: int | None) -> RawPage:
    return page if end is None else [r for r in page if int(r["id"]) < end]


def _is_id_cursor(page: RawPage, after: str | None) -> bool:
    """True when the list's `after` is an id (the next record's or above), not an offset."""
    return after is not None and after.isdigit() and bool(page) and int(after) > int(page[-1]["id"])


def merged(streams: Sequence[Callable[[], Iterator[RawPage]]]) -> Iterator[RawPage]:
    """Pages of several streams, each run in its own thread, as they arrive.

    The limiter bounds how many calls are in flight. A stream's error is raised to
    the consumer; when the consumer stops early, the streams stop after their
    current call.
    """
    return streams_merged(streams, PAGES_AHEAD)
