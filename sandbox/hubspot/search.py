"""Compile a HubSpot search request (filterGroups, one sort, paging) into SQL over the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox.hubspot.constants import (
    CREATED_PROPERTY,
    MODIFIED_PROPERTY,
    SEARCH_LIMIT,
    SEARCH_MAX_FILTERS,
    SEARCH_MAX_FILTERS_PER_GROUP,
    SEARCH_MAX_GROUPS,
    SEARCH_RESULT_CAP,
)
from sandbox.hubspot.errors import validation
from sandbox.hubspot.schema import PortalSchema
from sandbox.hubspot.store import text_expression
from sandbox.hubspot.timefmt import normalise, parse_ms

RANGE_OPS = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">=", "EQ": "=", "NEQ": "!="}
OPERATORS = {
    *RANGE_OPS,
    "BETWEEN",
    "IN",
    "NOT_IN",
    "HAS_PROPERTY",
    "NOT_HAS_PROPERTY",
    "CONTAINS_TOKEN",
    "NOT_CONTAINS_TOKEN",
}


@dataclass
class Column:
    """How one property reads in SQL and how a filter value converts to compare with it."""

    sql: str
    kind: str  # "ms" (indexed epoch-ms column), "id", "number", "text", "datetime"

    def value(self, raw: Any) -> Any:
        """A filter value converted for comparison with this column.

        Raises:
            ValueError: when the value does not fit the property's type.
        """
        if self.kind == "ms":
            return parse_ms(raw)
        if self.kind in ("id", "number"):
            return float(raw)
        if self.kind == "datetime":
            return normalise(raw)
        return str(raw).lower()


@dataclass
class SearchQuery:
    """A compiled search: WHERE clause, its params, ORDER BY, limit and offset."""

    where: str
    params: list[Any]
    order: str
    limit: int
    offset: int
    properties: list[str] | None


def column(schema: PortalSchema, object_type: str, name: str) -> Column:
    """The SQL expression a property is searched through (indexed columns for the hot ones)."""
    if name == "hs_object_id":
        return Column("id", "id")
    if name == MODIFIED_PROPERTY[object_type]:
        return Column("modified_ms", "ms")
    if name == CREATED_PROPERTY[object_type]:
        return Column("created_ms", "ms")
    prop = schema.get(object_type, name)
    extract = f"json_extract(props, '$.\"{name.replace(chr(34), '')}\"')"
    kind = prop.type if prop is not None else "string"
    if kind == "number":
        return Column(f"CAST(NULLIF({extract}, '') AS REAL)", "number")
    if kind in ("datetime", "date"):
        return Column(f"NULLIF({extract}, '')", "datetime")
    return Column(text_expression(name), "text")


def _unique_filter(object_type: str, name: str, spec: dict[str, Any]) -> tuple[str, list[Any]]:
    """EQ/IN on a unique property (email) answered from the unique-value index."""
    raw = [spec.get("value")] if spec.get("operator", "EQ") == "EQ" else spec.get("values") or []
    values = [str(v).strip().lower() for v in raw]
    marks = ",".join("?" * len(values)) or "NULL"
    sql = f"id IN (SELECT id FROM uniques WHERE type=? AND prop=? AND value IN ({marks}))"
    return sql, [object_type, name, *values]


def _filter(schema: PortalSchema, object_type: str, spec: dict[str, Any]) -> tuple[str, list[Any]]:
    op = str(spec.get("operator", "EQ"))
    if op not in OPERATORS:
        raise validation(f"Unsupported operator: {op}")
    name = str(spec.get("propertyName", ""))
    prop = schema.get(object_type, name)
    if op in ("EQ", "IN") and prop is not None and prop.unique:
        return _unique_filter(object_type, name, spec)
    col = column(schema, object_type, name)
    if op == "HAS_PROPERTY":
        return f"{col.sql} IS NOT NULL", []
    if op == "NOT_HAS_PROPERTY":
        return f"{col.sql} IS NULL", []
    if op in ("IN", "NOT_IN"):
        values = [col.value(v) for v in spec.get("values") or []]
        marks = ",".join("?" * len(values)) or "NULL"
        if op == "IN":
            return f"{col.sql} IN ({marks})", values
        return f"({col.sql} IS NULL OR {col.sql} NOT IN ({marks}))", values
    if op == "BETWEEN":
        return f"{col.sql} BETWEEN ? AND ?", [
            col.value(spec.get("value")),
            col.value(spec.get("highValue")),
        ]
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        token = str(spec.get("value", "")).lower().replace("*", "%")
        pattern = token if "%" in token else f"%{token}%"
        clause = f"{col.sql} LIKE ?"
        return (clause if op == "CONTAINS_TOKEN" else f"({col.sql} IS NULL OR NOT {clause})"), [
            pattern
        ]
    value = col.value(spec.get("value"))
    if op == "NEQ":
        return f"({col.sql} IS NULL OR {col.sql} != ?)", [value]
    return f"{col.sql} {RANGE_OPS[op]} ?", [value]


def _groups(
    schema: PortalSchema, object_type: str, groups: list[dict[str, Any]]
) -> tuple[str, list[Any]]:
    if len(groups) > SEARCH_MAX_GROUPS:
        raise validation(
            f"Too many filter groups ({len(groups)}); the limit is {SEARCH_MAX_GROUPS}"
        )
    total = sum(len(g.get("filters") or []) for g in groups)
    if total > SEARCH_MAX_FILTERS:
        raise validation(f"Too many filters ({total}); the limit is {SEARCH_MAX_FILTERS}")
    clauses: list[str] = []
    params: list[Any] = []
    for group in groups:
        filters = group.get("filters") or []
        if len(filters) > SEARCH_MAX_FILTERS_PER_GROUP:
            raise validation(
                f"Too many filters in a group; the limit is {SEARCH_MAX_FILTERS_PER_GROUP}"
            )
        parts = [_filter(schema, object_type, f) for f in filters]
        if parts:
            clauses.append("(" + " AND ".join(p[0] for p in parts) + ")")
            params.extend(v for p in parts for v in p[1])
    return ("(" + " OR ".join(clauses) + ")" if clauses else ""), params


def _group_bounds(object_type: str, group: dict[str, Any]) -> tuple[int | None, int | None]:
    """The modified-time range one group allows (None = open on that side)."""
    low: int | None = None
    high: int | None = None
    for spec in group.get("filters") or []:
        if spec.get("propertyName") != MODIFIED_PROPERTY[object_type]:
            continue
        op = spec.get("operator")
        if op in ("GT", "GTE", "EQ", "BETWEEN"):
            value = parse_ms(spec.get("value"))
            low = value if low is None else max(low, value)
        if op in ("LT", "LTE", "EQ") or op == "BETWEEN":
            value = parse_ms(spec.get("highValue") if op == "BETWEEN" else spec.get("value"))
            high = value if high is None else min(high, value)
    return low, high


def modified_range(object_type: str, groups: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """A redundant modified-time range covering every group, so SQLite walks the index.

    A cursor's `(modified = T AND id > X) OR (modified > T)` groups defeat SQLite's
    planner on their own; the range they share (`modified >= T`) does not.
    """
    bounds = [_group_bounds(object_type, g) for g in groups if g.get("filters")]
    if not bounds:
        return "", []
    clauses, params = [], []
    lows = [b[0] for b in bounds]
    if all(v is not None for v in lows):
        clauses.append("modified_ms >= ?")
        params.append(min(v for v in lows if v is not None))
    highs = [b[1] for b in bounds]
    if all(v is not None for v in highs):
        clauses.append("modified_ms <= ?")
        params.append(max(v for v in highs if v is not None))
    return " AND ".join(clauses), params


def _order(schema: PortalSchema, object_type: str, sorts: list[Any]) -> str:
    if len(sorts) > 1:
        raise validation("Only one sort is allowed per search")
    if not sorts:
        return "ORDER BY id ASC"
    sort = sorts[0]
    if isinstance(sort, str):
        name, direction = sort.lstrip("-"), "DESC" if sort.startswith("-") else "ASC"
    else:
        name = str(sort.get("propertyName", ""))
        direction = (
            "DESC" if str(sort.get("direction", "ASCENDING")).upper().startswith("DESC") else "ASC"
        )
    col = column(schema, object_type, name)
    # id breaks ties so paging by offset is stable.
    return f"ORDER BY {col.sql} {direction}, id {direction}"


def _paging(body: dict[str, Any]) -> tuple[int, int]:
    limit = int(body.get("limit") or 10)
    if limit > SEARCH_LIMIT or limit < 1:
        raise validation(f"limit must be between 1 and {SEARCH_LIMIT}")
    after = str(body.get("after") or "0")
    offset = int(after) if after.isdigit() else 0
    if offset + limit > SEARCH_RESULT_CAP:
        raise validation(
            f"Search results are limited to {SEARCH_RESULT_CAP} records; cannot page past them"
        )
    return limit, offset


def compile_search(
    schema: PortalSchema, object_type: str, body: dict[str, Any], visible_before_ms: int
) -> SearchQuery:
    """Turn a search body into SQL; only records last written before `visible_before_ms` match.

    Raises:
        ApiError: 400 for too many groups/filters/sorts, a limit over 200, or paging past 10,000.
    """
    limit, offset = _paging(body)
    order = _order(schema, object_type, body.get("sorts") or [])
    groups = body.get("filterGroups") or []
    range_sql, range_params = modified_range(object_type, groups)
    groups_sql, group_params = _groups(schema, object_type, groups)
    # Unary + takes a column away from SQLite's index choice. The modified-time index only
    # helps a modified-time sort or range; walking the id order only an unfiltered page.
    # Otherwise the filters pick their index (unique values, hot enumerations) or a scan.
    by_modified = bool(range_sql) or "modified_ms" in order
    horizon = "modified_ms <= ?" if by_modified else "+modified_ms <= ?"
    if groups_sql and not by_modified:
        order = order.replace("ORDER BY id", "ORDER BY +id")
    where = ["type = ?", "archived = 0", horizon]
    params: list[Any] = [object_type, visible_before_ms]
    if range_sql:
        where.append(range_sql)
        params.extend(range_params)
    if groups_sql:
        where.append(groups_sql)
        params.extend(group_params)
    query = str(body.get("query") or "").strip().lower()
    if query:
        where.append("lower(props) LIKE ?")
        params.append(f"%{query}%")
    return SearchQuery(" AND ".join(where), params, order, limit, offset, body.get("properties"))
