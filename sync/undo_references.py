"""Undo of a run's company associations, Salesforce side: each record's `AccountId` listed.

A sync carries a Salesforce record's `AccountId` to HubSpot as an association
(`sync.references`, direction `to_hubspot` only) and never writes `AccountId`, so a
run's journal holds no before-value of it. Undo removes the associations the run
made (`sync.apply_associations.undo_associations`) but has no account to put back:
each Salesforce record behind such an association is listed as skipped, with why.
One whose `AccountId` still names the associated company's account is associated
again by the next reconcile (it reads every record) or by the next sync that reads
the record (it changed); one changed since is listed as any field changed since the run.

Public API: `unrestored_accounts(job, entries) -> list[dict]` (`UndoReport.skipped` rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sync.apply_associations import FIELD_PREFIX
from sync.job import PAIRS, Job
from sync.references import ReferenceField, reference_fields
from sync.store_types import JournalEntry, Link

NOT_WRITTEN = (
    "not written by the run (no before-value journaled): a reconcile, or the record's next"
    " change, associates it again"
)
CHANGED = "changed since the run"


def _salesforce_links(job: Job, ids: Sequence[str], objects: Sequence[str]) -> dict[str, Link]:
    """HubSpot id -> the Salesforce record linked to it (unlinked ids left out)."""
    links = job.store.links_for_ids("hubspot", list(ids), list(objects))
    partners = job.store.records_for([x.stable_id for x in links.values()], "salesforce")
    return {rid: partners[x.stable_id] for rid, x in links.items() if x.stable_id in partners}


def _behind(job: Job, entries: Sequence[JournalEntry]) -> list[tuple[ReferenceField, Link, str]]:
    """Per association undone: its reference field, the Salesforce record, the company's account."""
    refs = {
        (r.hubspot_object, r.hubspot_to, r.salesforce_variant): r
        for pair in PAIRS
        for r in reference_fields(job, pair)
    }
    found = []
    for e in entries:
        to = e.field[len(FIELD_PREFIX) :]
        record = _salesforce_links(job, [e.record_id or ""], [e.object]).get(e.record_id or "")
        account = _salesforce_links(job, [str(e.after)], [to]).get(str(e.after))
        ref = refs.get((e.object, to, record.object)) if record else None
        if ref is not None and record is not None:
            found.append((ref, record, account.record_id if account else ""))
    return found


def unrestored_accounts(job: Job, entries: Sequence[JournalEntry]) -> list[dict[str, Any]]:
    """The Salesforce `AccountId`s behind the associations a run made, as skipped rows.

    Args:
        job: the undo's job (reads the store and Salesforce, writes nothing).
        entries: the run's journal entries `written` (association ones are used).

    Returns:
        One row per Salesforce record, in the shape of `UndoReport.skipped`.
    """
    mine = [e for e in entries if e.field.startswith(FIELD_PREFIX) and e.record_id and e.after]
    behind = _behind(job, mine)
    by_object: dict[tuple[str, str], list[str]] = {}
    for ref, record, _ in behind:
        by_object.setdefault((record.object, ref.salesforce_field), []).append(record.record_id)
    now: dict[tuple[str, str], Any] = {}  # absent: the record is gone
    for (variant, name), ids in by_object.items():
        api_object = job.compiled.converter("salesforce", variant).api_object
        for r in job.connectors["salesforce"].read_by_ids(api_object, ids, [name]):
            now[(r.id, name)] = r.fields.get(name)
    rows = []
    for ref, record, account in behind:
        key = (record.record_id, ref.salesforce_field)
        current = now.get(key)
        why = NOT_WRITTEN if account and current == account else CHANGED
        rows.append(
            {
                "system": "salesforce",
                "object": record.object,
                "record_id": record.record_id,
                "field": ref.salesforce_field,
                "written": None,
                "now": current,
                "why": why if key in now else "gone",
            }
        )
    return list({(r["record_id"], r["field"]): r for r in rows}.values())
