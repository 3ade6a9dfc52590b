"""Compile parsed SOQL into SQLite over the record store (indexed columns and json_extract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sandbox.salesforce import ids
from sandbox.salesforce.schema import NUMBER_TYPES, STRING_TYPES, FieldMeta, ObjectMeta
from sandbox.salesforce.soql import Comparison, Condition, Logical, Query, SoqlError, Value
from sandbox.salesforce.timefmt import canonical_datetime, format_datetime

# Fields kept in their own indexed columns rather than only inside the JSON.
COLUMNS = {"Id": "id", "SystemModstamp": "modstamp", "IsDeleted": "deleted", "Email": "email"}
_RANGE_OPS = {"=", "!=", "<", "<=", ">", ">="}


@dataclass
class Selected:
    """One selected field: a plain field, or `relationship.field` resolved to a target."""

    name: str
    meta: FieldMeta
    via: FieldMeta | None = None


@dataclass
class Compiled:
    """SQL pieces for one query against alias `r` of table `records`."""

    query: Query
    obj: ObjectMeta
    selected: list[Selected] = field(default_factory=list)
    where: str = "1"
    params: list[Any] = field(default_factory=list)
    order: str = "r.id"


def _invalid_field(name: str, obj: str) -> SoqlError:
    return SoqlError(
        f"No such column '{name}' on entity '{obj}'. If you are attempting to use a custom field, "
        "be sure to append the '__c' after the custom field name. Please reference your WSDL or "
        "the describe call for the appropriate names.",
        "INVALID_FIELD",
    )


def column(alias: str, name: str) -> str:
    """The SQL expression of a plain field on a table alias."""
    if name in COLUMNS:
        return f"{alias}.{COLUMNS[name]}"
    return f"json_extract({alias}.data, '$.{name}')"


class Compiler:
    """Resolves field names against the metadata and builds SQL for one query."""

    def __init__(self, objects: dict[str, ObjectMeta], now: datetime) -> None:
        self.objects = objects
        self.today = now.date()

    def object_meta(self, name: str) -> ObjectMeta:
        """The object named in FROM, case-insensitively.

        Raises:
            SoqlError: INVALID_TYPE for an object the org does not have.
        """
        for meta in self.objects.values():
            if meta.name.lower() == name.lower():
                return meta
        raise SoqlError(
            f"sObject type '{name}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
            "INVALID_TYPE",
        )

    def field(self, obj: ObjectMeta, name: str) -> tuple[Selected, str]:
        """A field reference and its SQL expression; one-level relationships allowed."""
        head, _, tail = name.partition(".")
        if not tail:
            meta = _lookup(obj, head)
            return Selected(meta.name, meta), column("r", meta.name)
        via = next(
            (f for f in obj.fields.values() if (f.relationship_name or "").lower() == head.lower()),
            None,
        )
        if via is None or "." in tail:
            raise _invalid_field(head, obj.name)
        targets = [self.objects[t] for t in via.reference_to if t in self.objects]
        target = next((_lookup(t, tail, None) for t in targets if _lookup(t, tail, None)), None)
        if target is None:
            raise _invalid_field(tail, targets[0].name if targets else obj.name)
        target_sql, via_sql = column("o", target.name), column("r", via.name)
        sql = f"(SELECT {target_sql} FROM records o WHERE o.id = {via_sql})"
        return Selected(f"{via.relationship_name}.{target.name}", target, via), sql

    def compile(self, query: Query) -> Compiled:
        """Build the SQL for a parsed query."""
        obj = self.object_meta(query.sobject)
        compiled = Compiled(query, obj)
        for name in query.fields:
            compiled.selected.append(self.field(obj, name)[0])
        if query.where is not None:
            compiled.where = self.condition(obj, query.where, compiled.params)
        terms = []
        for item in query.order_by:
            selected, sql = self.field(obj, item.field)
            if selected.meta.type in STRING_TYPES - {"id", "reference"}:
                sql += " COLLATE NOCASE"
            sql += " DESC" if item.descending else " ASC"
            if item.nulls_last is not None and item.nulls_last != item.descending:
                sql += " NULLS LAST" if item.nulls_last else " NULLS FIRST"
            terms.append(sql)
        if not any(term.startswith("r.id ") for term in terms):
            terms.append("r.id ASC")
        compiled.order = ", ".join(terms)
        return compiled

    def condition(self, obj: ObjectMeta, node: Condition, params: list[Any]) -> str:
        """SQL for a WHERE condition, appending its parameters."""
        if isinstance(node, Logical):
            if node.op == "NOT":
                return f"NOT ({self.condition(obj, node.items[0], params)})"
            joined = f" {node.op} ".join(self.condition(obj, item, params) for item in node.items)
            return f"({joined})"
        return self.comparison(obj, node, params)

    def comparison(self, obj: ObjectMeta, node: Comparison, params: list[Any]) -> str:
        """SQL for one `field op value`."""
        selected, sql = self.field(obj, node.field)
        meta = selected.meta
        nocase = " COLLATE NOCASE" if meta.type in STRING_TYPES - {"id", "reference"} else ""
        if isinstance(node.value, tuple):
            values = [self.literal(meta, v) for v in node.value]
            params.extend(values)
            marks = ", ".join("?" for _ in values)
            if node.op == "IN":
                return f"{sql}{nocase} IN ({marks})"
            return f"({sql} IS NULL OR {sql}{nocase} NOT IN ({marks}))"
        if node.value.kind == "dateliteral":
            return self.date_range(meta, sql, node, params)
        value = self.literal(meta, node.value)
        if node.op == "LIKE":
            params.append(value)
            return f"{sql} LIKE ? ESCAPE '\\'"
        if value is None:
            if node.op not in ("=", "!="):
                raise SoqlError("invalid operator on null", "INVALID_QUERY_FILTER_OPERATOR")
            return f"{sql} IS {'NOT ' if node.op == '!=' else ''}NULL"
        if meta.type == "boolean":
            sql = f"COALESCE({sql}, 0)"
        params.append(value)
        if node.op == "!=":
            return f"{sql} IS NOT ?{nocase}"
        return f"{sql} {node.op} ?{nocase}"

    def literal(self, meta: FieldMeta, value: Value) -> Any:
        """A literal checked against the field's type, converted for SQL."""
        kind, raw = value.kind, value.value
        if kind == "null":
            return None
        expected = {"datetime": "datetime", "date": "date", "boolean": "bool"}.get(meta.type)
        if expected is None:
            expected = "number" if meta.type in NUMBER_TYPES else "string"
        if kind != expected:
            raise SoqlError(
                f"value of filter criterion for field '{meta.name}' must be of type "
                f"{_type_word(meta.type)} and should not be enclosed in quotes"
                if kind == "string"
                else f"value of filter criterion for field '{meta.name}' must be of type "
                f"{_type_word(meta.type)}",
                "INVALID_FIELD",
            )
        if kind == "datetime":
            return canonical_datetime(raw)
        if kind == "bool":
            return 1 if raw else 0
        if meta.type in ("id", "reference") and isinstance(raw, str):
            return ids.normalize(raw)
        return raw

    def date_range(self, meta: FieldMeta, sql: str, node: Comparison, params: list[Any]) -> str:
        """SQL for a comparison with TODAY, LAST_N_DAYS:n and friends (a day range)."""
        if meta.type not in ("date", "datetime") or node.op not in _RANGE_OPS:
            raise SoqlError(f"invalid date literal use on '{meta.name}'", "INVALID_FIELD")
        assert not isinstance(node.value, tuple)
        name, days = node.value.value
        start, end = _day_range(self.today, name, days)
        low, high = _bound(meta, start), _bound(meta, end)
        forms = {
            "=": (f"({sql} >= ? AND {sql} < ?)", [low, high]),
            "!=": (f"({sql} IS NULL OR {sql} < ? OR {sql} >= ?)", [low, high]),
            "<": (f"{sql} < ?", [low]),
            "<=": (f"{sql} < ?", [high]),
            ">": (f"{sql} >= ?", [high]),
            ">=": (f"{sql} >= ?", [low]),
        }
        text, values = forms[node.op]
        params.extend(values)
        return text


def _lookup(obj: ObjectMeta, name: str, default: Any = ...) -> Any:
    lowered = name.lower()
    for meta in obj.fields.values():
        if meta.name.lower() == lowered:
            return meta
    if default is ...:
        raise _invalid_field(name, obj.name)
    return default


def _type_word(kind: str) -> str:
    return {"datetime": "dateTime", "boolean": "boolean", "date": "date"}.get(
        kind, "number" if kind in NUMBER_TYPES else "string"
    )


def _day_range(today: date, name: str, days: int) -> tuple[date, date]:
    one = timedelta(days=1)
    ranges = {
        "TODAY": (today, today + one),
        "YESTERDAY": (today - one, today),
        "TOMORROW": (today + one, today + 2 * one),
        "LAST_N_DAYS": (today - days * one, today + one),
        "NEXT_N_DAYS": (today + one, today + (days + 1) * one),
        "N_DAYS_AGO": (today - days * one, today - (days - 1) * one),
    }
    return ranges[name]


def _bound(meta: FieldMeta, day: date) -> str:
    if meta.type == "date":
        return day.isoformat()
    from datetime import UTC

    return format_datetime(datetime.combine(day, time(), tzinfo=UTC))
