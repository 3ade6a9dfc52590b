"""Associations between records: storage helpers and the v4 association endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sandbox.http import Request, Response
from sandbox.hubspot.constants import (
    DEFAULT_ASSOCIATION_TYPES,
    OBJECT_TYPE_IDS,
    OBJECT_TYPES,
    SINGULAR,
)
from sandbox.hubspot.errors import ApiError, standard_error, validation
from sandbox.hubspot.store import Store

if TYPE_CHECKING:
    from sandbox.hubspot.app import HubSpotApp

# Labelled HUBSPOT_DEFINED types beside the defaults: "primary" company links.
PRIMARY_TYPES = {
    ("contacts", "companies"): 1,
    ("companies", "contacts"): 2,
    ("deals", "companies"): 5,
    ("companies", "deals"): 6,
}
ALL_TYPES = {
    **{(k, v): v for k, v in DEFAULT_ASSOCIATION_TYPES.items()},
    **{(k, v): v for k, v in PRIMARY_TYPES.items()},
}
TYPE_LOOKUP = {type_id: pair for (pair, type_id) in ALL_TYPES}
ALIASES = {
    **{t: t for t in OBJECT_TYPES},
    **{SINGULAR[t]: t for t in OBJECT_TYPES},
    **{OBJECT_TYPE_IDS[t]: t for t in OBJECT_TYPES},
}
V4 = "/crm/v4"


def object_type(name: str) -> str:
    """The plural object type for a name, singular or type id ("contact", "0-1").

    Raises:
        ApiError: 400 for an unknown type.
    """
    found = ALIASES.get(name.lower())
    if found is None:
        raise validation(f"Unable to infer object type from: {name}")
    return found


def reverse_type(from_type: str, to_type: str, type_id: int) -> int:
    """The type id of the same link seen from the other end."""
    table = (
        PRIMARY_TYPES
        if PRIMARY_TYPES.get((from_type, to_type)) == type_id
        else DEFAULT_ASSOCIATION_TYPES
    )
    return table[(to_type, from_type)]


def link(
    store: Store, from_type: str, from_id: int, to_type: str, to_id: int, type_id: int
) -> None:
    """Store a link in both directions (inside the caller's transaction)."""
    back = reverse_type(from_type, to_type, type_id)
    store.db.execute(
        "INSERT OR IGNORE INTO associations VALUES(?,?,?,?,?)",
        (from_type, from_id, to_type, to_id, type_id),
    )
    store.db.execute(
        "INSERT OR IGNORE INTO associations VALUES(?,?,?,?,?)",
        (to_type, to_id, from_type, from_id, back),
    )


def unlink(store: Store, from_type: str, from_id: int, to_type: str, to_id: int) -> None:
    """Remove every link between two records."""
    store.db.execute(
        "DELETE FROM associations WHERE (from_type=? AND from_id=? AND to_type=? AND to_id=?)"
        " OR (from_type=? AND from_id=? AND to_type=? AND to_id=?)",
        (from_type, from_id, to_type, to_id, to_type, to_id, from_type, from_id),
    )


def linked(store: Store, from_type: str, from_id: int, to_type: str) -> dict[int, list[int]]:
    """Ids linked to a record, each with its type ids."""
    found: dict[int, list[int]] = {}
    rows = store.query(
        "SELECT to_id, type_id FROM associations WHERE from_type=? AND from_id=? AND to_type=?"
        " ORDER BY to_id, type_id",
        (from_type, from_id, to_type),
    )
    for to_id, type_id in rows:
        found.setdefault(int(to_id), []).append(int(type_id))
    return found


def type_label(from_type: str, to_type: str, type_id: int) -> str:
    """The association type name GET answers (`contact_to_company`, `..._unlabeled`)."""
    base = f"{SINGULAR[from_type]}_to_{SINGULAR[to_type]}"
    return base if PRIMARY_TYPES.get((from_type, to_type)) == type_id else base + "_unlabeled"


def parse_create_associations(
    from_type: str, items: list[dict[str, Any]]
) -> list[tuple[str, int, int]]:
    """The `associations` of a create body as (to_type, to_id, type_id).

    Raises:
        ApiError: 400 for an unknown association type.
    """
    links = []
    for item in items or []:
        to_id = int(str(item["to"]["id"]))
        for kind in item.get("types") or []:
            type_id = int(kind["associationTypeId"])
            pair = TYPE_LOOKUP.get(type_id)
            if pair is None or pair[0] != from_type:
                raise validation(f"{type_id} is not a valid association type id for {from_type}")
            links.append((pair[1], to_id, type_id))
    return links


def _stamp() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def batch_envelope(
    results: list[Any], errors: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The `{status, results, startedAt, completedAt}` body every batch answers with."""
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": _stamp(),
        "completedAt": _stamp(),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return body


class AssociationRoutes:
    """The v4 association endpoints."""

    def __init__(self, app: HubSpotApp) -> None:
        self.app = app
        r = app.router
        record = V4 + r"/objects/(?P<src>[\w-]+)/(?P<src_id>\d+)/associations"
        one = record + r"/default/(?P<dst>[\w-]+)/(?P<dst_id>\d+)"
        r.add("PUT", one, self.put_default, "associations.default")
        listing = record + r"/(?P<dst>[\w-]+)"
        r.add("GET", listing, self.get_page, "associations.list")
        batch = V4 + r"/associations/(?P<src>[\w-]+)/(?P<dst>[\w-]+)/batch"
        r.add("POST", batch + "/create", self.batch_create, "associations.batch.create")
        r.add(
            "POST", batch + "/associate/default", self.batch_default, "associations.batch.default"
        )
        r.add("POST", batch + "/read", self.batch_read, "associations.batch.read")
        r.add("POST", batch + "/archive", self.batch_archive, "associations.batch.archive")

    def _require(self, kind: str, raw_id: str) -> int:
        if self.app.records.live(kind, str(raw_id)) is None:
            raise ApiError(404, f"No {SINGULAR[kind]} with ID {raw_id} exists", "OBJECT_NOT_FOUND")
        return int(raw_id)

    def _default(self, src: str, src_id: str, dst: str, dst_id: str) -> dict[str, Any]:
        a, b = self._require(src, src_id), self._require(dst, dst_id)
        type_id = DEFAULT_ASSOCIATION_TYPES[(src, dst)]
        link(self.app.store, src, a, dst, b, type_id)
        spec = {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}
        return {"from": {"id": str(a)}, "to": {"id": str(b)}, "associationSpec": spec}

    def put_default(
        self, request: Request, src: str, src_id: str, dst: str, dst_id: str
    ) -> Response:
        """PUT .../associations/default/{to}/{toId} -> 200."""
        src, dst = object_type(src), object_type(dst)
        with self.app.store.transaction():
            result = self._default(src, src_id, dst, dst_id)
        return self.app.maybe_lost(Response(200, batch_envelope([result])))

    def _inputs(self, request: Request) -> list[dict[str, Any]]:
        inputs = (request.json() or {}).get("inputs")
        if not isinstance(inputs, list):
            raise validation("inputs is required")
        if len(inputs) > 100:
            raise validation("Batch input cannot exceed 100 items")
        return inputs

    def batch_default(self, request: Request, src: str, dst: str) -> Response:
        """POST .../batch/associate/default -> 200."""
        src, dst = object_type(src), object_type(dst)
        inputs = self._inputs(request)
        with self.app.store.transaction():
            results = [self._default(src, i["from"]["id"], dst, i["to"]["id"]) for i in inputs]
        return self.app.maybe_lost(Response(200, batch_envelope(results)))

    def batch_create(self, request: Request, src: str, dst: str) -> Response:
        """POST .../batch/create with explicit types -> 201."""
        src, dst = object_type(src), object_type(dst)
        results = []
        with self.app.store.transaction():
            for item in self._inputs(request):
                a = self._require(src, item["from"]["id"])
                b = self._require(dst, item["to"]["id"])
                for kind in item.get("types") or []:
                    type_id = int(kind["associationTypeId"])
                    if TYPE_LOOKUP.get(type_id) != (src, dst):
                        raise validation(
                            f"{type_id} is not a valid association type between {src} and {dst}"
                        )
                    link(self.app.store, src, a, dst, b, type_id)
                results.append(
                    {
                        "fromObjectTypeId": OBJECT_TYPE_IDS[src],
                        "fromObjectId": a,
                        "toObjectTypeId": OBJECT_TYPE_IDS[dst],
                        "toObjectId": b,
                        "labels": [],
                    }
                )
        return self.app.maybe_lost(Response(201, batch_envelope(results)))

    def _targets(self, src: str, src_id: int, dst: str) -> list[dict[str, Any]]:
        primary = PRIMARY_TYPES.get((src, dst))
        return [
            {
                "toObjectId": to_id,
                "associationTypes": [
                    {
                        "category": "HUBSPOT_DEFINED",
                        "typeId": t,
                        "label": "Primary" if t == primary else None,
                    }
                    for t in types
                ],
            }
            for to_id, types in linked(self.app.store, src, src_id, dst).items()
        ]

    def get_page(self, request: Request, src: str, src_id: str, dst: str) -> Response:
        """GET .../associations/{to} -> 200 (all links on one page)."""
        src, dst = object_type(src), object_type(dst)
        return Response(200, {"results": self._targets(src, int(src_id), dst)})

    def batch_read(self, request: Request, src: str, dst: str) -> Response:
        """POST .../batch/read -> 200, or 207 naming ids with no links."""
        src, dst = object_type(src), object_type(dst)
        results, missing = [], []
        for item in self._inputs(request):
            raw = str(item["id"])
            to = self._targets(src, int(raw), dst) if raw.isdigit() else []
            if not to:
                missing.append(raw)
                continue
            results.append({"from": {"id": raw}, "to": to})
        errors = [
            standard_error(
                "error",
                "OBJECT_NOT_FOUND",
                f"No {SINGULAR[src]} is associated with {SINGULAR[dst]}s",
                {"fromObjectId": [m]},
            )
            for m in missing
        ]
        return Response(207 if errors else 200, batch_envelope(results, errors))

    def batch_archive(self, request: Request, src: str, dst: str) -> Response:
        """POST .../batch/archive -> 204."""
        src, dst = object_type(src), object_type(dst)
        with self.app.store.transaction():
            for item in self._inputs(request):
                for to in item.get("to") or []:
                    unlink(self.app.store, src, int(item["from"]["id"]), dst, int(to["id"]))
        return self.app.maybe_lost(Response(204))
