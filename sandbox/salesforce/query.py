"""Query execution: first page, server-side cursors for nextRecordsUrl, relationship fields."""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sandbox.salesforce.errors import RequestError
from sandbox.salesforce.org import Org, record_attributes
from sandbox.salesforce.soql import parse
from sandbox.salesforce.soqlsql import Compiled, Compiler

API_PREFIX = "/services/data/v59.0"
DEFAULT_BATCH = 2000
MIN_BATCH = 200
# Results up to this size are snapshotted (ids kept) so writes between pages cannot shift
# them, as Salesforce's cursors do; larger ones page by OFFSET over the live table.
SNAPSHOT_MAX = 100_000
MAX_CURSORS = 500


@dataclass
class Cursor:
    """A query still being read: what to fetch and how far the client is."""

    compiled: Compiled
    include_deleted: bool
    total: int
    batch: int
    offset: int
    ids: list[str] | None


def batch_size(header: str | None) -> int:
    """The page size from `Sforce-Query-Options: batchSize=N` (200-2000, default 2000)."""
    if not header:
        return DEFAULT_BATCH
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key.strip() == "batchSize" and value.strip().isdigit():
            return max(MIN_BATCH, min(DEFAULT_BATCH, int(value)))
    return DEFAULT_BATCH


class QueryEngine:
    """Runs SOQL over the org's store and keeps cursors for the pages after the first."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self._cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def _from(self, compiled: Compiled, include_deleted: bool) -> tuple[str, list[Any]]:
        deleted = "" if include_deleted else " AND r.deleted = 0"
        sql = f"FROM records r WHERE r.obj = ?{deleted} AND ({compiled.where})"
        return sql, [compiled.obj.name, *compiled.params]

    def run(self, soql: str, include_deleted: bool, batch: int) -> dict[str, Any]:
        """The first page of a query.

        Raises:
            SoqlError: malformed query, unknown object or field.
        """
        compiled = Compiler(self.org.objects, self.org.clock.now()).compile(parse(soql))
        query = compiled.query
        source, params = self._from(compiled, include_deleted)
        if query.limit is None:
            count = self.org.store.select(f"SELECT COUNT(*) {source}", params)[0][0]
        else:
            # With a LIMIT the count can stop early: no full scan for a small page.
            capped = f"SELECT COUNT(*) FROM (SELECT 1 {source} LIMIT ?)"
            count = self.org.store.select(capped, [*params, query.limit + query.offset])[0][0]
        total = max(0, count - query.offset)
        if query.limit is not None:
            total = min(total, query.limit)
        if query.count_only:
            return {"totalSize": total, "done": True, "records": []}
        cursor = Cursor(compiled, include_deleted, total, batch, query.offset, None)
        if batch < total <= SNAPSHOT_MAX:
            rows = self.org.store.select(
                f"SELECT r.id {source} ORDER BY {compiled.order} LIMIT ? OFFSET ?",
                [*params, total, query.offset],
            )
            cursor.ids = [row[0] for row in rows]
        return self._page(cursor, 0)

    def more(self, locator: str, position: int) -> dict[str, Any]:
        """A later page of a cursor.

        Raises:
            RequestError: INVALID_QUERY_LOCATOR for an unknown or expired cursor.
        """
        with self._lock:
            cursor = self._cursors.get(locator)
        if cursor is None or position > cursor.total:
            raise RequestError("INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(cursor, position)

    def _page(self, cursor: Cursor, position: int) -> dict[str, Any]:
        size = min(cursor.batch, cursor.total - position)
        records = self._fetch(cursor, position, size)
        end = position + size
        answer: dict[str, Any] = {"totalSize": cursor.total, "done": end >= cursor.total}
        if end < cursor.total:
            answer["nextRecordsUrl"] = f"{API_PREFIX}/query/{self._remember(cursor)}-{end}"
        answer["records"] = [self._render(cursor.compiled, record) for record in records]
        return answer

    def _fetch(self, cursor: Cursor, position: int, size: int) -> list[dict[str, Any]]:
        if size <= 0:
            return []
        if cursor.ids is not None:
            wanted = cursor.ids[position : position + size]
            found = self.org.store.get_many(wanted)
            return [found[i] for i in wanted if i in found]
        source, params = self._from(cursor.compiled, cursor.include_deleted)
        rows = self.org.store.select(
            f"SELECT r.data {source} ORDER BY {cursor.compiled.order} LIMIT ? OFFSET ?",
            [*params, size, cursor.offset + position],
        )
        return [json.loads(row[0]) for row in rows]

    def _remember(self, cursor: Cursor) -> str:
        with self._lock:
            for locator, known in self._cursors.items():
                if known is cursor:
                    return locator
            locator = "01g" + secrets.token_hex(6).upper()[:12] + "AAA"
            self._cursors[locator] = cursor
            while len(self._cursors) > MAX_CURSORS:
                self._cursors.popitem(last=False)
            return locator

    def _render(self, compiled: Compiled, record: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"attributes": record_attributes(compiled.obj.name, record["Id"])}
        for selected in compiled.selected:
            if selected.via is None:
                body[selected.name] = record.get(selected.name)
                continue
            relation, _, target_field = selected.name.partition(".")
            related_id = record.get(selected.via.name)
            found = self.org.store.get(related_id) if related_id else None
            if found is None:
                body[relation] = None
                continue
            nested = body.get(relation) or {
                "attributes": record_attributes(found[0], related_id or "")
            }
            nested[target_field] = found[1].get(target_field)
            body[relation] = nested
        return body
