"""Records re-read unchanged in a connector's overlap window are left out before any call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from integrations.base import Cursor, Record
from sync.gather import Changes, drop_unchanged
from tests.sync.mapping_support import compiled

CURSOR_AT = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
EARLIER = CURSOR_AT - timedelta(seconds=20)  # inside Salesforce's 60 s overlap
LATER = CURSOR_AT + timedelta(seconds=5)


class Versions:
    """The store's record versions (the only store method the drop uses)."""

    def __init__(self, versions: dict[str, datetime]) -> None:
        self.versions = versions

    def record_versions(
        self, system: str, ids: Sequence[str], objects: Sequence[str] | None = None
    ) -> dict[str, datetime]:
        return {i: self.versions[i] for i in ids if i in self.versions}


def lead(record_id: str, modified: datetime, **fields: object) -> Record:
    return Record("Lead", record_id, modified, {"IsConverted": False, **fields})


def contact(record_id: str, person_account: bool) -> Record:
    return Record("Contact", record_id, EARLIER, {"IsPersonAccount": person_account})


def test_only_records_that_may_have_changed_are_kept() -> None:
    changes = Changes(
        records={
            ("salesforce", "Lead"): [
                lead("00Q1", EARLIER),  # synced at this very version: unchanged
                lead("00Q2", EARLIER),  # linked, synced at an older version: changed
                lead("00Q3", EARLIER, IsConverted=True),  # converted, behind the cursor
                lead("00Q4", LATER, IsConverted=True),  # converted just now: read
                lead("00Q5", EARLIER),  # unlinked, held for review
                lead("00Q6", EARLIER),  # unlinked, not held: a late commit, kept
            ],
            ("salesforce", "Contact"): [contact("0031", False), contact("0032", True)],
        },
        since={
            ("salesforce", "Lead"): Cursor(CURSOR_AT, "00Q9"),
            ("salesforce", "Contact"): Cursor(CURSOR_AT, "0039"),
        },
    )
    store: Any = Versions({"00Q1": EARLIER, "00Q2": EARLIER - timedelta(hours=1)})
    dropped = drop_unchanged(compiled(), store, changes, {("salesforce", "00Q5")})
    kept = {k: [r.id for r in v] for k, v in changes.records.items()}
    assert kept == {
        ("salesforce", "Lead"): ["00Q2", "00Q4", "00Q6"],
        ("salesforce", "Contact"): ["0031"],  # 0032 is a Person Account's own contact row
    }
    assert dropped == 4
