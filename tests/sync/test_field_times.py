"""Field change times for conflicts: which conflicts need them, and 100 ids a request."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sync.diff import FieldChange, PairDiff
from sync.field_times import connector_reader, timed_conflicts

AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def change(field: str, policy: str, conflict: bool, old: Any = "a", new: Any = "b") -> FieldChange:
    return FieldChange(field, "hubspot", old, new, policy, "why", conflict)


def test_only_conflicts_a_policy_decides_by_time_need_change_times() -> None:
    diff = PairDiff(
        changes=[
            change("phone", "two_way", True),
            change("title", "newest_wins", True),
            change("email", "two_way", False),  # changed on one side only
            change("status", "salesforce_wins", True),
            change("company", "prefer_non_blank", True, old=""),  # the blank loses, no time
            change("industry", "prefer_non_blank", True),
        ]
    )
    assert timed_conflicts(diff) == {"phone", "title", "industry"}


class History:
    """A connector stand-in that records each read_history request."""

    def __init__(self) -> None:
        self.requests: list[int] = []

    def read_history(
        self, object: str, ids: Sequence[str], fields: Sequence[str]
    ) -> dict[str, dict[str, datetime]]:
        self.requests.append(len(ids))
        return {i: {f: AT for f in fields} for i in ids}


def test_records_are_asked_about_100_at_a_time_and_a_side_without_history_answers_nothing() -> None:
    hubspot = History()
    read = connector_reader({"salesforce": object(), "hubspot": hubspot})
    ids = [str(n) for n in range(250)]
    found = read("hubspot", "contacts", ids, ["phone"])
    assert hubspot.requests == [100, 100, 50]
    assert len(found) == 250 and found["7"] == {"phone": AT}
    assert read("salesforce", "Lead", ids, ["Phone"]) == {}
