"""The reconcile's spool: converted records pickled to a temporary file, read back by position.

Public API: `Spool` (write -> (offset, length), read), `packed(seen)`, `unpacked(item)`.
"""

from __future__ import annotations

import os
import pickle
from datetime import UTC, datetime, timedelta
from typing import IO, Any

from integrations.base import Record
from sync.gather import Seen

SPOOL_WRITE_BYTES = 1 << 20
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


class Spool:
    """Append-only pickles in a temporary file, read back by (offset, length) with pread.

    No seek per record: a buffered seek throws the buffer away, which made reading a
    shard back cost more than converting it.
    """

    def __init__(self, file: IO[bytes]) -> None:
        self.file = file
        self.end = 0
        self.pending = bytearray()  # written in large pieces: one system call per megabyte

    def write(self, item: Any) -> tuple[int, int]:
        """Pickle `item` at the end; its (offset, length)."""
        data = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
        self.pending += data
        if len(self.pending) >= SPOOL_WRITE_BYTES:
            self.flush()
        start, self.end = self.end, self.end + len(data)
        return start, len(data)

    def flush(self) -> None:
        """Write what is pending (before any `read`)."""
        self.file.write(self.pending)
        self.file.flush()
        self.pending.clear()

    def read(self, start: int, length: int) -> Any:
        """The item written at (offset, length)."""
        return pickle.loads(os.pread(self.file.fileno(), length, start))


def packed(seen: Seen) -> tuple[Any, ...]:
    """A spooled record: plain fields, and UTC datetimes as microseconds since 1970.

    Pickling an aware datetime goes through Python-level reduction (its time zone):
    an int pickles in C. Times in another zone are spooled as they are.
    """
    r, values = seen.record, seen.values
    moments = tuple(k for k, v in values.items() if type(v) is datetime and v.tzinfo is UTC)
    if moments:
        values = dict(values)
        for name in moments:
            values[name] = (values[name] - EPOCH) // MICROSECOND
    modified: Any = r.modified
    if type(modified) is datetime and modified.tzinfo is UTC:
        modified = (modified - EPOCH) // MICROSECOND
    return (seen.conv.variant, r.object, r.id, modified, r.fields, r.archived, values, moments)


def unpacked(item: tuple[Any, ...]) -> tuple[str, Record, dict[str, Any]]:
    """(variant, record, canonical values) of a `packed` record."""
    variant, obj, record_id, modified, fields, archived, values, moments = item
    for name in moments:
        values[name] = EPOCH + timedelta(microseconds=values[name])
    if type(modified) is int:
        modified = EPOCH + timedelta(microseconds=modified)
    return variant, Record(obj, record_id, modified, fields, archived), values
