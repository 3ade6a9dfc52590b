"""The reconcile spool gives back each record as it was written, in any order."""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

from integrations.base import Record
from sync.gather import Seen
from sync.shard_spool import Spool, packed, unpacked

PARIS = timezone(timedelta(hours=1))


def _seen(record_id: str, modified: datetime, values: dict[str, Any]) -> Seen:
    conv: Any = SimpleNamespace(variant="Lead")
    return Seen(conv, Record("Lead", record_id, modified, {"IsConverted": False}), values)


def test_records_come_back_equal_with_their_types_and_zones() -> None:
    written = [
        _seen(
            "1",
            datetime(2026, 3, 1, 8, 0, 0, 123000, tzinfo=UTC),
            {"created_at": datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC), "name": "A"},
        ),
        _seen(
            "2",
            datetime(2026, 3, 1, 9, 0, tzinfo=PARIS),
            {"due": date(2026, 1, 2), "at": datetime(2026, 1, 2, tzinfo=PARIS), "n": 3.5},
        ),
        _seen("3", datetime(2026, 3, 2, tzinfo=UTC), {}),
    ]
    originals = [dict(s.values) for s in written]
    with tempfile.TemporaryFile() as file:
        spool = Spool(file)
        where = [spool.write(packed(s)) for s in written]
        spool.flush()
        back = [unpacked(spool.read(*where[i])) for i in (2, 0, 1)]
    for (variant, record, values), i in zip(back, (2, 0, 1), strict=True):
        assert variant == "Lead"
        assert record == written[i].record
        assert values == originals[i]
        assert [type(v) for v in values.values()] == [type(v) for v in originals[i].values()]
        for name, value in values.items():
            if isinstance(value, datetime):
                assert value.utcoffset() == originals[i][name].utcoffset()
    assert written[0].values == originals[0]  # packing leaves the record read untouched
