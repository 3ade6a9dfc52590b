"""Value conversions between each CRM's wire values and canonical values, per field type.

Canonical values compare equal when they mean the same thing: datetimes are aware
UTC truncated to milliseconds, dates are `date`, numbers `float`, integers `int`,
booleans `bool`, blanks `None`, emails lower-case, multi-selects a sorted `;` string.
A value that cannot be read or written raises `ConversionError`; nothing is guessed.
`CODECS[type]` holds the plain types; picklists are built by `sync.picklists`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sync.mapping import Side

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SALESFORCE_DATETIME = "%Y-%m-%dT%H:%M:%S"


class ConversionError(ValueError):
    """A value that has no canonical (or native) form; the message says why."""


@dataclass(frozen=True, slots=True)
class Codec:
    """How one type is read from and written to each side, and normalised when canonical."""

    read: Mapping[Side, Reader]
    write: Mapping[Side, Writer]
    canon: Reader
    choices: Mapping[Side, tuple[str, ...]] | None = None  # picklists: the native values written


def is_blank(value: Any) -> bool:
    """None, an empty or all-space string, or an empty list: no value."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple) and not value


def read_text(value: Any) -> str | None:
    """Text without surrounding spaces; blank is None."""
    if value is None:
        return None
    if type(value) is str:
        return value.strip() or None
    if is_blank(value):
        return None
    if isinstance(value, bool | dict | list):
        raise ConversionError(f"expected text, got {value!r}")
    return str(value).strip()


def read_email(value: Any) -> str | None:
    """An email trimmed and lower-cased (how both CRMs compare them); blank is None."""
    if type(value) is str:
        return value.strip().lower() or None
    text = read_text(value)
    return text.lower() if text else None


def domain_of(value: Any) -> str | None:
    """The bare host of a URL or domain: no scheme, `www.`, port, path; lower-case."""
    text = read_email(value)
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


def hubspot_writer(writer: Writer) -> Writer:
    """HubSpot properties are strings; an empty string clears one."""

    def write(value: Any) -> Any:
        return "" if value is None else writer(value)

    return write


def _same(value: Any) -> Any:
    return value


def _codec(read: Reader, sf_write: Writer = _same, hs_write: Writer | None = None) -> Codec:
    return Codec(
        read={"salesforce": read, "hubspot": read},
        write={"salesforce": sf_write, "hubspot": hs_write or hubspot_writer(str)},
        canon=read,
    )


CODECS: dict[str, Codec] = {
    "string": _codec(read_text),
    "email": _codec(read_email),
    "phone": _codec(read_text),
    "url": _codec(read_text),
    "domain": _codec(domain_of),
    "number": _codec(_number, _same, hubspot_writer(_number_text)),
    "integer": _codec(_integer, _same, hubspot_writer(_number_text)),
    "boolean": _codec(_boolean, _same, hubspot_writer(lambda v: "true" if v else "false")),
    "date": _codec(_date, _write_date, hubspot_writer(_write_date)),
    "datetime": _codec(_datetime, write_salesforce_datetime, write_hubspot_datetime),
}


def to_json_value(value: Any) -> Any:
    """A canonical value as JSON (for the store's bases): datetimes and dates as ISO text.

    Each field's `canon` reads the text back, so a stored base compares equal to the
    live canonical value.
    """
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    return value
