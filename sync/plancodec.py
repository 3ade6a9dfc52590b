"""JSON encoding of plan items: dataclasses as objects, datetimes and dates tagged to round-trip."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

DATETIME_TAG = "$datetime"
DATE_TAG = "$date"


def parse_moment(text: str) -> datetime:
    """An aware datetime from ISO text (a naive one is refused)."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"datetime {text!r} has no time zone")
    return moment


def encode_value(value: Any) -> Any:
    """A JSON-ready form of a plan value or item."""
    if isinstance(value, datetime):
        return {DATETIME_TAG: value.isoformat()}
    if isinstance(value, date):
        return {DATE_TAG: value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [encode_value(v) for v in value]
    return value


def decode_value(value: Any) -> Any:
    """The inverse of `encode_value` for plain values (dataclasses are rebuilt by their list)."""
    if isinstance(value, dict):
        if set(value) == {DATETIME_TAG}:
            return parse_moment(value[DATETIME_TAG])
        if set(value) == {DATE_TAG}:
            return date.fromisoformat(value[DATE_TAG])
        return {k: decode_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_value(v) for v in value]
    return value


def _builders() -> dict[str, Callable[[dict[str, Any]], Any]]:
    from integrations.base import TaskSpec
    from sync.candidates import LinkMove, ReviewItem
    from sync.diff import FieldChange
    from sync.plan import Association, Create, Link, TaskWrite, Update

    def update(d: dict[str, Any]) -> Update:
        changes = tuple(FieldChange(**c) for c in d.pop("changes"))
        return Update(**d, changes=changes)

    def review(d: dict[str, Any]) -> ReviewItem:
        return ReviewItem(
            d["kind"], d["reason"], tuple(tuple(r) for r in d["records"]), d.get("detail") or {}
        )

    def task(d: dict[str, Any]) -> TaskWrite:
        return TaskWrite(d["system"], TaskSpec(**d["task"]), d.get("stable_id"), d.get("rule", ""))

    return {
        "creates": lambda d: Create(**d),
        "updates": update,
        "links": lambda d: Link(**d),
        "moves": lambda d: LinkMove(**d),
        "associations": lambda d: Association(**d),
        "review": review,
        "tasks": task,
    }


def decode_items(body: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Every item list of a decoded plan body, rebuilt as plan items."""
    return {
        name: [build(decode_value(raw)) for raw in body.get(name, [])]
        for name, build in _builders().items()
    }
