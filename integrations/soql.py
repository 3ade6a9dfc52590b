"""Safe SOQL: every value escaped or validated before it goes into a query.

Strings are quoted with Salesforce's escape rules, record ids must match the
15/18-character id pattern, and object and field names must be identifiers, so a
value such as `O'Brien' OR Name != '` can only ever be a value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

# Salesforce's escape sequences inside a quoted SOQL string literal.
_STRING_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_LIKE_ESCAPES = {"%": "\\%", "_": "\\_"}
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_FIELD = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)?$")


class UnsafeSoqlValue(ValueError):
    """A value that cannot be put into SOQL safely (bad id, name, or number)."""


def quote(value: str) -> str:
    """A SOQL string literal for `value`, quotes and control characters escaped."""
    return "'" + "".join(_STRING_ESCAPES.get(ch, ch) for ch in value) + "'"


def quote_like(value: str) -> str:
    """A LIKE pattern matching `value` literally (its % and _ are escaped too)."""
    return "".join(_LIKE_ESCAPES.get(ch, ch) for ch in quote(value))


def record_id(value: str) -> str:
    """`value` as a quoted id literal, after checking it is a 15/18-character id."""
    if not isinstance(value, str) or not _ID.match(value):
        raise UnsafeSoqlValue(f"not a Salesforce record id: {value!r}")
    return f"'{value}'"


def name(value: str) -> str:
    """`value` checked as an object name (Lead, Custom__c)."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise UnsafeSoqlValue(f"not a Salesforce object name: {value!r}")
    return value


def field(value: str) -> str:
    """`value` checked as a field name, optionally one relationship deep (Owner.Email)."""
    if not isinstance(value, str) or not _FIELD.match(value):
        raise UnsafeSoqlValue(f"not a Salesforce field name: {value!r}")
    return value


def datetime_literal(value: datetime) -> str:
    """A SOQL datetime literal in UTC with milliseconds (2026-03-10T18:00:00.000Z)."""
    if value.tzinfo is None:
        raise UnsafeSoqlValue(f"naive datetime has no time zone: {value!r}")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def literal(value: Any) -> str:
    """Any supported Python value as a SOQL literal.

    Args:
        value: str, bool, None, int, float, date or aware datetime.

    Returns:
        The literal text.

    Raises:
        UnsafeSoqlValue: for NaN/infinite numbers, naive datetimes and other types.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UnsafeSoqlValue(f"not a finite number: {value!r}")
        return repr(value)
    if isinstance(value, datetime):
        return datetime_literal(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return quote(value)
    raise UnsafeSoqlValue(f"cannot put a {type(value).__name__} into SOQL")


def id_list(ids: Sequence[str]) -> str:
    """A parenthesised list of validated id literals for `Id IN (...)`."""
    if not ids:
        raise UnsafeSoqlValue("an IN list needs at least one id")
    return "(" + ", ".join(record_id(i) for i in ids) + ")"


def select(
    object: str,
    fields: Sequence[str],
    where: str | None = None,
    order_by: Sequence[str] = (),
    limit: int | None = None,
) -> str:
    """A SELECT statement from validated names; `where` must be built from this module.

    Args:
        object: the object name.
        fields: field names; duplicates are dropped, order kept.
        where: a condition assembled with `literal`/`record_id`/`quote`.
        order_by: field names, each optionally followed by ASC or DESC.
        limit: a row limit.

    Returns:
        The SOQL text.
    """
    columns = ", ".join(dict.fromkeys(field(f) for f in fields))
    text = f"SELECT {columns} FROM {name(object)}"
    if where:
        text += f" WHERE {where}"
    if order_by:
        text += " ORDER BY " + ", ".join(_order_term(term) for term in order_by)
    if limit is not None:
        text += f" LIMIT {int(limit)}"
    return text


def _order_term(term: str) -> str:
    parts = term.split()
    if len(parts) == 2 and parts[1].upper() in {"ASC", "DESC"}:
        return f"{field(parts[0])} {parts[1].upper()}"
    return field(term)


def after_pair(time_field: str, modified: datetime, last_id: str) -> str:
    """The keyset condition `(t > :t) OR (t = :t AND Id > :id)` for resuming a read."""
    t = datetime_literal(modified)
    f = field(time_field)
    return f"({f} > {t} OR ({f} = {t} AND Id > {record_id(last_id)}))"
