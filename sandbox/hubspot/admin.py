"""Admin endpoints (never counted, never rate limited), all `POST /__admin/...` with JSON bodies.

- `/faults` `{FaultOptions fields}`: set faults now (RNG and call count restart).
- `/clock` `{"advance_seconds": N}`: move the sandbox clock (search lag, rate windows).
- `/options` `{"rate_limits", "search_lag_seconds", "hubspot_calls_per_10s",
  "hubspot_search_per_second", "hubspot_daily_limit"}`: change limits while running.
- `/reset` `{}`: data and created properties back to the seed; limits and counters reset.
- `/hubspot/touch` `{"count": N}` or `{"ids": [...]}`: analytics touches contacts.
- `/hubspot/edit` `{"type", "id", "properties"}`: another user changes a record.
- `/hubspot/bulk` `{"type", "count", "properties" (with "{n}"), "age_seconds"}`: many
  records at once, already past the search lag.
- `/hubspot/owners` `{"owners": [PublicOwner, ...]}`: add or replace owners.
"""

from __future__ import annotations

import dataclasses
import random
from typing import TYPE_CHECKING, Any

from sandbox.app import ADMIN_PREFIX
from sandbox.http import Request, Response
from sandbox.hubspot import seeding
from sandbox.hubspot.constants import OBJECT_TYPES
from sandbox.hubspot.records import USER_SOURCE
from sandbox.hubspot.timefmt import iso

if TYPE_CHECKING:
    from sandbox.hubspot.app import HubSpotApp

# Options a running sandbox may change (the rest are fixed at start).
MUTABLE_OPTIONS = {
    "rate_limits",
    "search_lag_seconds",
    "hubspot_calls_per_10s",
    "hubspot_search_per_second",
    "hubspot_daily_limit",
}


def register(app: HubSpotApp) -> None:
    """Add the HubSpot admin routes."""
    routes = {
        "/faults": _faults,
        "/clock": _clock,
        "/reset": _reset,
        "/options": _options,
        "/hubspot/touch": _touch,
        "/hubspot/edit": _edit,
        "/hubspot/bulk": _bulk,
        "/hubspot/owners": _owners,
    }
    for path, handler in routes.items():
        app.admin.add("POST", ADMIN_PREFIX + path, _bind(app, handler), "admin")


def _bind(app: HubSpotApp, handler: Any) -> Any:
    def call(request: Request) -> Response:
        try:
            result: Response = handler(app, request.json() or {})
        except (ValueError, KeyError, TypeError) as exc:
            return Response(400, {"error": str(exc)})
        return result

    return call


def _faults(app: HubSpotApp, body: dict[str, Any]) -> Response:
    app.faults.configure(body)
    # The seeded picks beside the engine (which 5xx, which contacts) restart with it too.
    app.rng = random.Random(app.faults.options.seed)
    return Response(200, dataclasses.asdict(app.faults.options))


def _clock(app: HubSpotApp, body: dict[str, Any]) -> Response:
    app.clock.advance(float(body.get("advance_seconds", 0)))
    return Response(200, {"now": iso(app.records.now_ms())})


def _options(app: HubSpotApp, body: dict[str, Any]) -> Response:
    for key, value in body.items():
        if key not in MUTABLE_OPTIONS:
            raise ValueError(f"option cannot change while running: {key}")
        setattr(app.options, key, value)
    app.limiter.reset()
    return Response(200, {k: getattr(app.options, k) for k in sorted(MUTABLE_OPTIONS)})


def _reset(app: HubSpotApp, body: dict[str, Any]) -> Response:
    app.store.clear()
    app.schema.reset()
    app.limiter.reset()
    app.counter.reset()
    seeding.load(app)
    return Response(204)


def touch_contacts(app: HubSpotApp, count: int, ids: list[int] | None = None) -> list[int]:
    """HubSpot analytics at work: move contacts' modified time, bump a read-only visit count."""
    if ids is None:
        bounds = app.store.query(
            "SELECT MIN(id), MAX(id) FROM objects WHERE type='contacts' AND archived=0"
        )
        low, high = bounds[0]
        if low is None:
            return []
        ids = []
        for _ in range(count):
            found = app.store.query(
                "SELECT id FROM objects WHERE type='contacts' AND archived=0 AND id>=?"
                " ORDER BY id LIMIT 1",
                (app.rng.randint(low, high),),
            )
            ids.extend(int(r[0]) for r in found)
    now = app.records.now_ms()
    with app.store.transaction():
        for row in app.store.get_many("contacts", ids).values():
            visits = int(float(row.props.get("hs_analytics_num_visits") or 0)) + 1
            row.props["hs_analytics_num_visits"] = str(visits)
            row.modified_ms = now
            app.store.save(row)
    return ids


def edit_as_other_user(app: HubSpotApp, kind: str, object_id: int, values: dict[str, str]) -> None:
    """Someone else changes a record: values set as given, modified time moves."""
    row = app.store.get(kind, object_id)
    if row is None:
        raise ValueError(f"no {kind} {object_id}")
    values = {k: str(v) for k, v in values.items()}
    changed = {k: v for k, v in values.items() if row.props.get(k, "") != v}
    row.props.update(values)
    row.modified_ms = app.records.now_ms()
    with app.store.transaction():
        app.store.save(row)
        app.store.record_changes(kind, object_id, changed, row.modified_ms, USER_SOURCE)


def _touch(app: HubSpotApp, body: dict[str, Any]) -> Response:
    ids = body.get("ids")
    touched = touch_contacts(app, int(body.get("count", 1)), [int(i) for i in ids] if ids else None)
    return Response(200, {"touched": [str(i) for i in touched]})


def _edit(app: HubSpotApp, body: dict[str, Any]) -> Response:
    kind = str(body["type"])
    if kind not in OBJECT_TYPES:
        raise ValueError(f"unknown type {kind}")
    edit_as_other_user(app, kind, int(body["id"]), body.get("properties") or {})
    return Response(200, app.records.render(app.store.get(kind, int(body["id"]))))  # type: ignore[arg-type]


def _bulk(app: HubSpotApp, body: dict[str, Any]) -> Response:
    """Insert `count` records fast: `{type, count, properties (with {n}), age_seconds}`."""
    kind, count = str(body["type"]), int(body["count"])
    template: dict[str, str] = body.get("properties") or {}
    stamp = iso(app.records.now_ms() - int(float(body.get("age_seconds", 3600)) * 1000))
    first = int(app.store.query("SELECT COALESCE(MAX(id), 100000) FROM objects")[0][0]) + 1
    items = (
        (
            kind,
            {
                "id": first + n,
                "createdAt": stamp,
                "updatedAt": stamp,
                "properties": {k: v.format(n=n) for k, v in template.items()},
            },
        )
        for n in range(count)
    )
    inserted = seeding.insert_rows(app, items)
    app.store.set_meta("next_id", str(first + count))
    return Response(200, {"inserted": inserted, "first_id": str(first)})


def _owners(app: HubSpotApp, body: dict[str, Any]) -> Response:
    seeding.insert_rows(app, (("owners", o) for o in body.get("owners") or []))
    return Response(200, {"results": app.owners()})
