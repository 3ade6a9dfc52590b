"""A create HubSpot refused because it already holds the record: link to that record instead.

HubSpot refuses a create whose unique value (a contact's email, a company's domain)
another record already holds, with `409 CONFLICT ... Existing ID: 123`. That record
appeared after the sync read HubSpot (created since, or still inside the search
lag), so the sync could not match it. The refusal names it, so no further call is
needed: it is linked to the entity the create was for, by the identity matcher's
rule for a fresh email (domain) match. The link's bases stay empty, so the next run
compares the pair's fields as for any newly matched pair. A record already linked to
another entity is not taken: a `conflict` review item names both.

Public API: `holder_of(system, result)`, `adopt(store, run_id, tally, conv, row, ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.base import WriteResult
from integrations.hubspot_batch import existing_id
from sync.apply_writes import Row, Tally
from sync.compiled import ObjectConverter
from sync.store import StateStore
from sync.store_reviews import NewReview
from sync.store_types import Link, LinkConflict

CONFLICT = "CONFLICT"  # HubSpot's error category for a unique value already held


@dataclass(frozen=True)
class Refused:
    """A refused create: its source record and the record the CRM says holds its value."""

    source_system: str
    source_variant: str
    source_id: str
    holder: str
    message: str


def holder_of(system: str, result: WriteResult) -> str | None:
    """The existing record a refused HubSpot create names (`Existing ID: N`), if any."""
    if system != "hubspot" or result.ok or result.error_code != CONFLICT:
        return None
    return existing_id(result.message or "")


def adopt(
    store: StateStore,
    run_id: int,
    tally: Tally,
    conv: ObjectConverter,
    row: Row,
    refused: Refused,
) -> None:
    """Link the holder to the create's entity; a holder linked elsewhere goes to review.

    Runs inside the batch's transaction. The create's journal entries are marked
    `skipped` (nothing was written) and name the holder; a conflict marks them `failed`.
    """
    source = store.links_for_ids(
        refused.source_system, [refused.source_id], [refused.source_variant]
    ).get(refused.source_id)
    held = store.links_for_ids(conv.system, [refused.holder], [conv.variant]).get(refused.holder)
    try:
        stable = _joined(store, conv.pair, source, held)
        store.add_links(
            [
                Link(stable, conv.system, conv.variant, refused.holder),
                Link(stable, refused.source_system, refused.source_variant, refused.source_id),
            ]
        )
    except LinkConflict as conflict:
        _conflict(store, run_id, tally, conv, row, refused, str(conflict))
        return
    row.record_id, row.stable_id = refused.holder, stable
    note = f"not created: {conv.system} already holds it as {refused.holder}; linked"
    store.journal_mark(
        row.journal, "skipped", error=note, record_ids={j: refused.holder for j in row.journal}
    )
    tally.linked.append(
        {
            "system": conv.system,
            "object": conv.variant,
            "record_id": refused.holder,
            "source": [refused.source_system, refused.source_id],
            "stable_id": stable,
            "reason": refused.message,
        }
    )


def _joined(store: StateStore, kind: str, source: Link | None, held: Link | None) -> str:
    """The entity both records end up in (as apply's links: the source side's id is kept).

    Raises:
        LinkConflict: the holder's entity has its own record on the source side.
    """
    if source is not None and held is not None and source.stable_id != held.stable_id:
        store.merge_entities(source.stable_id, held.stable_id)
        return source.stable_id
    found = source or held
    return found.stable_id if found is not None else store.new_entity(kind)


def _conflict(
    store: StateStore,
    run_id: int,
    tally: Tally,
    conv: ObjectConverter,
    row: Row,
    refused: Refused,
    why: str,
) -> None:
    """The holder belongs to another entity: a person decides; the create stays undone."""
    reason = f"{CONFLICT}: {refused.message} ({why})"
    store.journal_mark(row.journal, "failed", error=reason)
    detail = {
        "reason": f"{conv.system} refused the create: the record holding its value is "
        "linked to another entity",
        "records": [
            [refused.source_system, refused.source_id],
            [conv.system, refused.holder],
        ],
        "source": [refused.source_system, refused.source_variant, refused.source_id],
        "holder": [conv.system, conv.variant, refused.holder],
        "message": refused.message,
        "conflict": why,
        "run_id": run_id,
    }
    store.add_reviews(
        [NewReview("conflict", conv.system, conv.variant, refused.holder, detail)], run_id
    )
    tally.skipped.append(
        f"{conv.system} create from {refused.source_id}: {refused.holder} is linked elsewhere"
    )
