"""Value conversions between each CRM's wire values and canonical values, per field type.

Canonical values compare equal when they mean the same thing: datetimes are aware
UTC truncated to milliseconds, dates are `date`, numbers `float`, integers `int`,
booleans `bool`, blanks `None`, emails lower-case, multi-selects a sorted `;` string.
A value that cannot be read or written raises `ConversionError`; nothing is guessed.
`CODECS[type]` holds the plain types; picklists are built by `picklist_codec`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sync.mapping import Side

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SALESFORCE_DATETIME = "%Y-%m-%dT%H:%M:%S"
_SEPARATORS = re.compile(r"[\s_\-]+")


class ConversionError(ValueError):
    """A value that has no canonical (or native) form; the message says why."""


@dataclass(frozen=True, slots=True)
class Codec:
    """How one type is read from and written to each side, and normalised when canonical."""

    read: Mapping[Side, Reader]
    write: Mapping[Side, Writer]
    canon: Reader


def is_blank(value: Any) -> bool:
    """None, an empty or all-space string, or an empty list: no value."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if type(value) is str:
        return value.strip() or None
    if is_blank(value):
        return None
    if isinstance(value, bool | dict | list):
        raise ConversionError(f"expected text, got {value!r}")
    return str(value).strip()


def _email(value: Any) -> str | None:
    if type(value) is str:
        return value.strip().lower() or None
    text = _text(value)
    return text.lower() if text else None


def domain_of(value: Any) -> str | None:
    """The bare host of a URL or domain: no scheme, `www.`, port, path; lower-case."""
    text = _email(value)
    if not text:
        return None
    host = text.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].strip(".")
    return host.removeprefix("www.") or None


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if type(value) is float and math.isfinite(value):
        return value
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ConversionError(f"expected a number, got {value!r}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ConversionError(f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ConversionError(f"expected a finite number, got {value!r}")
    return number


def _integer(value: Any) -> int | None:
    if value is None:
        return None
    if type(value) is int:
        return value
    number = _number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ConversionError(f"expected a whole number, got {value!r}")
    return int(number)


def _number_text(value: Any) -> str:
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


def _boolean(value: Any) -> bool:
    """Booleans are checkboxes: a blank (an unset HubSpot checkbox) reads as False."""
    if value is True or value is False:
        return value
    if is_blank(value):
        return False
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ConversionError(f"expected true or false, got {value!r}")


def _from_epoch_ms(value: Any) -> datetime:
    return EPOCH + timedelta(milliseconds=int(value))


def _is_epoch(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit())


def _datetime(value: Any) -> datetime | None:
    """Aware UTC, milliseconds; from a datetime, ISO 8601 with offset, or epoch ms."""
    if value is None:
        return None
    if type(value) is str and len(value) > 10 and value[-1] != " ":
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None  # epoch digits or junk: the slow path decides
        if moment is not None and moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
            micro = moment.microsecond
            return moment.replace(microsecond=micro - micro % 1000) if micro % 1000 else moment
    if is_blank(value):
        return None
    if isinstance(value, datetime):
        moment = value
    elif _is_epoch(value):
        moment = _from_epoch_ms(value)
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ConversionError(f"expected an ISO 8601 datetime, got {value!r}") from None
    else:
        raise ConversionError(f"expected a datetime, got {value!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ConversionError(f"datetime {value!r} has no time zone (naive); refusing to guess")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _date(value: Any) -> date | None:
    """A calendar date from `YYYY-MM-DD`, a date, an ISO datetime or epoch ms (UTC)."""
    if value is None:
        return None
    if is_blank(value):
        return None
    if isinstance(value, datetime) or _is_epoch(value):
        return _datetime(value).date()  # type: ignore[union-attr]
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return date.fromisoformat(text) if len(text) == 10 else _date(_datetime(text))
        except ValueError:
            raise ConversionError(f"expected a date YYYY-MM-DD, got {value!r}") from None
    raise ConversionError(f"expected a date, got {value!r}")


def _aware(value: Any) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ConversionError(f"refusing to write naive or non-datetime value {value!r}")
    return value.astimezone(UTC)


def write_salesforce_datetime(value: Any) -> str | None:
    """`2026-03-10T18:00:00.000+0000`, the form Salesforce returns."""
    if value is None:
        return None
    moment = _aware(value)
    return f"{moment.strftime(SALESFORCE_DATETIME)}.{moment.microsecond // 1000:03d}+0000"


def write_hubspot_datetime(value: Any) -> str:
    """`2026-03-10T18:00:00.000Z`; an empty string clears the property."""
    if value is None:
        return ""
    moment = _aware(value)
    return f"{moment.strftime(SALESFORCE_DATETIME)}.{moment.microsecond // 1000:03d}Z"


def _write_date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ConversionError(f"expected a date, got {value!r}")
    return value.isoformat()


def _hubspot(writer: Writer) -> Writer:
    """HubSpot properties are strings; an empty string clears one."""

    def write(value: Any) -> Any:
        return "" if value is None else writer(value)

    return write


def _same(value: Any) -> Any:
    return value


def _codec(read: Reader, sf_write: Writer = _same, hs_write: Writer | None = None) -> Codec:
    return Codec(
        read={"salesforce": read, "hubspot": read},
        write={"salesforce": sf_write, "hubspot": hs_write or _hubspot(str)},
        canon=read,
    )


CODECS: dict[str, Codec] = {
    "string": _codec(_text),
    "email": _codec(_email),
    "phone": _codec(_text),
    "url": _codec(_text),
    "domain": _codec(domain_of),
    "number": _codec(_number, _same, _hubspot(_number_text)),
    "integer": _codec(_integer, _same, _hubspot(_number_text)),
    "boolean": _codec(_boolean, _same, _hubspot(lambda v: "true" if v else "false")),
    "date": _codec(_date, _write_date, _hubspot(_write_date)),
    "datetime": _codec(_datetime, write_salesforce_datetime, write_hubspot_datetime),
}


def value_key(text: str) -> str:
    """Picklist key: case-insensitive, `_`, `-` and spaces alike (REAL_ESTATE = Real Estate)."""
    return _SEPARATORS.sub(" ", text).strip().lower()


def styled(value: str, style: str) -> str:
    """A canonical picklist value spelled in a side's style."""
    if style == "upper_snake":
        return _SEPARATORS.sub("_", value.strip()).upper()
    if style == "lower_snake":
        return _SEPARATORS.sub("_", value.strip()).lower()
    return value


@dataclass(frozen=True, slots=True)
class ValueTable:
    """A picklist's canonical values and each side's native spelling of them."""

    canonical: tuple[str, ...]
    native: Mapping[Side, Mapping[str, str]]  # side -> canonical -> native

    def reader(self, side: Side) -> Reader:
        """Native -> canonical: exact native value, else by `value_key`; unmapped is an error."""
        exact = {native: canonical for canonical, native in self.native[side].items()}
        loose = {value_key(c): c for c in self.canonical}
        loose.update({value_key(n): c for n, c in exact.items()})

        def read(value: Any) -> str | None:
            text = _text(value)
            if text is None:
                return None
            found = exact.get(text) or loose.get(value_key(text))
            if found is None:
                raise ConversionError(f"unmapped {side} value {text!r}")
            return found

        return read

    def writer(self, side: Side) -> Writer:
        """Canonical -> native; a value outside the table is an error, not junk written."""
        table = self.native[side]

        def write(value: Any) -> str | None:
            if value is None:
                return None
            native = table.get(value)
            if native is None:
                raise ConversionError(f"no {side} value for {value!r}")
            return native

        return write


def value_table(
    canonical: Iterable[str],
    overrides: Mapping[str, Mapping[str, str] | None],
    styles: Mapping[Side, str],
) -> ValueTable:
    """Build a table from canonical values, per-value overrides and per-side styles."""
    values = tuple(dict.fromkeys([*canonical, *overrides]))
    native: dict[Side, dict[str, str]] = {}
    for side in ("salesforce", "hubspot"):
        style = styles.get(side, "same")
        native[side] = {
            value: (overrides.get(value) or {}).get(side) or styled(value, style)
            for value in values
        }
    return ValueTable(values, native)


def picklist_codec(table: ValueTable, multi: bool) -> Codec:
    """A codec for a picklist, or for a `;` multi-select (canonical: sorted, `;`-joined)."""
    if not multi:
        readers = {s: table.reader(s) for s in ("salesforce", "hubspot")}  # type: ignore[misc]
        writers = {s: table.writer(s) for s in ("salesforce", "hubspot")}  # type: ignore[misc]
        writers["hubspot"] = _hubspot(writers["hubspot"])
        return Codec(readers, writers, readers["salesforce"])  # type: ignore[arg-type]
    return Codec(
        {s: _multi_reader(table.reader(s)) for s in ("salesforce", "hubspot")},  # type: ignore[misc]
        {
            "salesforce": _multi_writer(table.writer("salesforce")),
            "hubspot": _hubspot(_multi_writer(table.writer("hubspot"))),
        },
        _multi_reader(table.reader("salesforce")),
    )


def _multi_reader(read_one: Reader) -> Reader:
    def read(value: Any) -> str | None:
        parts = value if isinstance(value, list | tuple) else str(value or "").split(";")
        items = sorted({read_one(p) for p in parts if not is_blank(p)})
        return ";".join(items) or None

    return read


def _multi_writer(write_one: Writer) -> Writer:
    def write(value: Any) -> str | None:
        if value is None:
            return None
        return ";".join(write_one(p) for p in str(value).split(";") if p)

    return write
