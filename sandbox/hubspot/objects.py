"""The v3 object endpoints: list, read, create, update, archive, search, merge, GDPR delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode

from sandbox.http import Request, Response
from sandbox.hubspot.associations import linked, parse_create_associations, type_label
from sandbox.hubspot.constants import OBJECT_TYPES, PAGE_LIMIT, SINGULAR
from sandbox.hubspot.errors import ApiError, not_found, validation
from sandbox.hubspot.search import compile_search

if TYPE_CHECKING:
    from sandbox.hubspot.app import HubSpotApp

V3 = "/crm/v3/objects"
TYPE = "(?P<kind>" + "|".join(OBJECT_TYPES) + ")"


def csv_arg(request: Request, name: str) -> list[str] | None:
    """A comma-separated (or repeated) query parameter as a list, or None."""
    values = [v for raw in request.query.get(name, []) for v in raw.split(",") if v]
    return values or None


class ObjectRoutes:
    """Single-record, list, search, merge and GDPR endpoints for every object type."""

    def __init__(self, app: HubSpotApp) -> None:
        self.app = app
        self.records = app.records
        r = app.router
        r.add("GET", f"{V3}/{TYPE}", self.get_page, "objects.list")
        r.add("POST", f"{V3}/{TYPE}", self.create, "objects.create")
        r.add("POST", f"{V3}/{TYPE}/search", self.search, "objects.search")
        r.add("POST", f"{V3}/{TYPE}/merge", self.merge, "objects.merge")
        r.add("POST", f"{V3}/contacts/gdpr-delete", self.gdpr_delete, "contacts.gdpr_delete")
        one = f"{V3}/{TYPE}/(?P<object_id>[^/]+)"
        r.add("GET", one, self.get_by_id, "objects.get")
        r.add("PATCH", one, self.update, "objects.update")
        r.add("DELETE", one, self.archive, "objects.archive")

    def _with_associations(
        self, body: dict[str, Any], kind: str, names: list[str] | None
    ) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name in names or []:
            if name not in OBJECT_TYPES:
                continue
            links = linked(self.app.store, kind, int(body["id"]), name)
            results = [
                {"id": str(i), "type": type_label(kind, name, t)}
                for i, types in links.items()
                for t in types
            ]
            if results:
                found[name] = {"results": results}
        if found:
            body["associations"] = found
        return body

    def get_page(self, request: Request, kind: str) -> Response:
        """GET /crm/v3/objects/{type}: <= 100 per page; no `paging` on the last page."""
        limit = min(int(request.arg("limit") or 10), PAGE_LIMIT)
        after = request.arg("after") or "0"
        archived = (request.arg("archived") or "false").lower() == "true"
        start = int(after) if after.isdigit() else 0
        rows = self.app.store.select(
            "type=? AND archived=? AND id>=?",
            (kind, int(archived), start),
            f"ORDER BY id LIMIT {limit + 1}",
        )
        names, assoc = csv_arg(request, "properties"), csv_arg(request, "associations")
        body: dict[str, Any] = {
            "results": [
                self._with_associations(self.records.render(r, names), kind, assoc)
                for r in rows[:limit]
            ]
        }
        if len(rows) > limit:
            next_after = str(rows[limit].id)
            query = urlencode({"after": next_after, "limit": limit})
            link = f"https://{request.header('Host', '127.0.0.1')}{V3}/{kind}?{query}"
            body["paging"] = {"next": {"after": next_after, "link": link}}
        return Response(200, body)

    def _find(self, request: Request, kind: str, object_id: str) -> Any:
        raw_id = unquote(object_id)
        row = self.records.live(kind, raw_id, request.arg("idProperty"))
        if row is None and (request.arg("archived") or "").lower() == "true" and raw_id.isdigit():
            archived = self.app.store.get(kind, int(raw_id))
            row = archived if archived is not None and archived.archived else None
        if row is None:
            raise not_found("Object not found.  objectId are usually numeric.")
        return row

    def get_by_id(self, request: Request, kind: str, object_id: str) -> Response:
        """GET one record (merged-away ids answer the winner, as HubSpot does)."""
        row = self._find(request, kind, object_id)
        body = self.records.render(row, csv_arg(request, "properties"))
        with_history = csv_arg(request, "propertiesWithHistory")
        if with_history:
            body["propertiesWithHistory"] = self.records.history([row], with_history)[row.id]
        body = self._with_associations(body, kind, csv_arg(request, "associations"))
        self.app.after_read(kind, row.id)
        return Response(200, body)

    def create(self, request: Request, kind: str) -> Response:
        """POST one record -> 201 (body may carry `associations`)."""
        payload = request.json() or {}
        write = self.records.plan_create(kind, payload.get("properties") or {})
        write.associations = parse_create_associations(kind, payload.get("associations") or [])
        self._check_targets(write.associations)
        (row,) = self.app.apply_write([write])
        return self.app.maybe_lost(Response(201, self.records.render(row, list(write.values))))

    def _check_targets(self, links: list[tuple[str, int, int]]) -> None:
        for to_type, to_id, _ in links:
            if self.records.live(to_type, str(to_id)) is None:
                raise validation(f"No {SINGULAR[to_type]} with ID {to_id} exists to associate with")

    def update(self, request: Request, kind: str, object_id: str) -> Response:
        """PATCH one record -> 200."""
        row = self._find(request, kind, object_id)
        write = self.records.plan_update(row, (request.json() or {}).get("properties") or {})
        (saved,) = self.app.apply_write([write])
        return self.app.maybe_lost(Response(200, self.records.render(saved, list(write.values))))

    def archive(self, request: Request, kind: str, object_id: str) -> Response:
        """DELETE one record -> 204 (archived; modified time untouched)."""
        row = self.records.live(kind, unquote(object_id), request.arg("idProperty"))
        if row is not None:
            self.records.archive(kind, [row.id])
        return self.app.maybe_lost(Response(204))

    def search(self, request: Request, kind: str) -> Response:
        """POST search -> 200 `{total, results, paging?}` as of the search index (lagging)."""
        query = compile_search(
            self.app.schema, kind, request.json() or {}, self.app.search_horizon_ms()
        )
        store = self.app.store
        total = store.count(query.where, query.params)
        rows = store.select(
            query.where, query.params, f"{query.order} LIMIT {query.limit} OFFSET {query.offset}"
        )
        body: dict[str, Any] = {
            "total": total,
            "results": [self.records.render(r, query.properties) for r in rows],
        }
        if query.offset + len(rows) < total:
            body["paging"] = {"next": {"after": str(query.offset + len(rows))}}
        return Response(200, body)

    def merge(self, request: Request, kind: str) -> Response:
        """POST merge {primaryObjectId, objectIdToMerge} -> 200 with the winner."""
        payload = request.json() or {}
        winner = self.records.live(kind, str(payload.get("primaryObjectId", "")))
        loser = self.records.live(kind, str(payload.get("objectIdToMerge", "")))
        if winner is None or loser is None or winner.id == loser.id:
            raise validation(
                "Both primaryObjectId and objectIdToMerge must name distinct live records"
            )
        row = self.app.merge(kind, winner, loser)
        return self.app.maybe_lost(Response(200, self.records.render(row)))

    def gdpr_delete(self, request: Request) -> Response:
        """POST contacts/gdpr-delete {objectId, idProperty?} -> 204; nothing left behind."""
        payload = request.json() or {}
        row = self.records.live(
            "contacts", str(payload.get("objectId", "")), payload.get("idProperty")
        )
        if row is None:
            raise ApiError(404, "Contact not found", "OBJECT_NOT_FOUND")
        with self.app.store.transaction():
            self.app.store.delete("contacts", row.id)
        return self.app.maybe_lost(Response(204))
