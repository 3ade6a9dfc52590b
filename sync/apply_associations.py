"""Apply a plan's associations: HubSpot default associations, journaled, 100 a call.

Each association is journaled before it is made (field `association:<to object>`,
before None, after the associated id), then written through the connector's
`associate` (v4 batch associate default, idempotent: associating twice is a no-op,
so a rerun after a crash is safe). Ends created by the same plan are resolved
through their new links first; one whose create failed is skipped and listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from integrations.errors import CrmError
from sync.apply_writes import Tally
from sync.job import Job
from sync.plan import Association
from sync.references import resolve
from sync.store_types import JournalEntry, PlannedWrite

FIELD_PREFIX = "association:"  # journal field of an association (not a canonical field)
WRITER = "associate"


def apply_associations(
    job: Job, items: Sequence[Association], run_id: int, tally: Tally
) -> CrmError | None:
    """Make the associations (HubSpot only); the CRM error that stopped them, if any."""
    connector: Any = job.connectors["hubspot"]
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for item in items:
        ends = resolve(job, item) if item.system == "hubspot" else None
        if ends is None or not hasattr(connector, WRITER):
            tally.skipped.append(
                f"{item.system} association {item.from_object} {item.from_id or item.from_source}"
                f" -> {item.to_object} {item.to_id or item.to_source}: an end has no record"
            )
            continue
        groups.setdefault((item.from_object, item.to_object), []).append(ends)
    for (from_object, to_object), pairs in groups.items():
        pairs = list(dict.fromkeys(pairs))
        entries = [
            PlannedWrite("hubspot", from_object, a, FIELD_PREFIX + to_object, None, b)
            for a, b in pairs
        ]
        ids = job.store.journal_planned(run_id, entries)
        try:
            results = connector.associate(from_object, to_object, pairs)
        except CrmError as stopped:
            return stopped
        written = [i for i, result in zip(ids, results, strict=True) if result.ok]
        job.store.journal_mark(written, "written")
        tally.associations += len(written)
        for journal_id, pair, result in zip(ids, pairs, results, strict=True):
            if result.ok:
                continue
            job.store.journal_mark([journal_id], "failed", error=result.message)
            tally.rejected.append(
                {
                    "system": "hubspot",
                    "object": from_object,
                    "record_id": pair[0],
                    "reason": f"associating {to_object} {pair[1]}: {result.message}",
                }
            )
    return None


def undo_associations(job: Job, entries: Sequence[JournalEntry], dry_run: bool) -> list[int]:
    """Remove the associations a run made (journal entries `written`); ids of those undone.

    Removing one someone removed since is a no-op, so nothing is skipped here.
    """
    mine = [e for e in entries if e.field.startswith(FIELD_PREFIX) and e.record_id and e.after]
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for e in mine:
        to_object = e.field[len(FIELD_PREFIX) :]
        groups.setdefault((e.object, to_object), []).append((str(e.record_id), str(e.after)))
    if not dry_run:
        connector: Any = job.connectors["hubspot"]
        for (from_object, to_object), pairs in groups.items():
            connector.dissociate(from_object, to_object, pairs)
    return [e.id for e in mine]
