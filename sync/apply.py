"""Execute a plan: link moves, new links, review items, then updates and creates in full batches.

Public API: `apply_plan(job, plan, run_id, options) -> Tally`, `ApplyOptions`,
`PlanExpired`. Batches hold records of one system and variant (200 for Salesforce,
100 for HubSpot). Each batch is checkpointed: its journal, bases and links are
committed before the next starts, so a crash between batches and a rerun of the
sync converge on the state one clean run reaches (creates are keyed upserts, so a
create whose answer was lost is not duplicated). A record already linked to a
record on the target side is never created again, nor is an erased one. A create
HubSpot refuses because another record already holds its email (domain) is linked
to that record instead (`sync.apply_adopt`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from integrations.base import WriteResult
from integrations.errors import CrmError
from sync.apply_adopt import Refused, adopt, holder_of
from sync.apply_associations import apply_associations
from sync.apply_writes import BatchWriter, Row, Tally
from sync.compiled import ObjectConverter
from sync.convert import to_json_value
from sync.database import chunks
from sync.gather import variants
from sync.job import Job
from sync.plan import Create, Link, Plan
from sync.planner import GONE_KIND
from sync.store_links import Move
from sync.store_reviews import NewReview
from sync.store_types import Link as StoreLink
from sync.store_types import LinkConflict

BATCH_SIZES = {"salesforce": 200, "hubspot": 100}
# Salesforce id prefixes of the objects a person can be (ids are unique across objects).
SALESFORCE_PREFIXES = {"00Q": "Lead", "003": "Contact", "001": "Account", "006": "Opportunity"}
T = TypeVar("T")


class PlanExpired(ValueError):
    """A saved plan past its expiry; make a new one."""


@dataclass
class ApplyOptions:
    """Batch sizes, and a hook called after each batch (tests inject crashes there)."""

    batch_sizes: dict[str, int] = field(default_factory=lambda: dict(BATCH_SIZES))
    after_batch: Callable[[str], None] | None = None


def apply_plan(
    job: Job,
    plan: Plan,
    run_id: int,
    options: ApplyOptions | None = None,
    at: datetime | None = None,
) -> Tally:
    """Carry out a plan.

    Raises:
        PlanExpired: `at` (default: the job's now) is past the plan's expiry.
        CrmError: a CRM stopped the run (unreachable, out of budget); batches before
            it are recorded, the rest is left for the rerun.
    """
    options = options or ApplyOptions()
    if plan.expired(at or job.now):
        raise PlanExpired(
            f"the plan made at {plan.created_at.isoformat()} expired at "
            f"{plan.expires_at.isoformat()}; run crmops sync again"
        )
    applier = _Applier(job, run_id, options)
    applier.writer.plan_now = plan.now
    applier.bookkeeping(plan)
    for (system, variant), updates in _grouped(plan.updates).items():
        for batch in chunks(updates, options.batch_sizes[system]):
            applier.checkpoint(applier.writer.updates(system, variant, batch), system, variant)
    for (system, variant), creates in _grouped(plan.creates).items():
        for part in chunks(creates, options.batch_sizes[system]):
            applier.checkpoint(applier.creates(system, variant, part), system, variant)
    if plan.associations:  # after the creates: their new records are ends of some
        stopped = apply_associations(job, plan.associations, run_id, applier.tally)
        applier.checkpoint(stopped, "hubspot", "associations")
    return applier.tally


def _grouped(items: Sequence[T]) -> dict[tuple[str, str], list[T]]:
    groups: dict[tuple[str, str], list[T]] = {}
    for item in items:
        groups.setdefault((item.system, item.object), []).append(item)  # type: ignore[attr-defined]
    return groups


class _Applier:
    """One apply: the batch writer plus links, moves and review bookkeeping."""

    def __init__(self, job: Job, run_id: int, options: ApplyOptions) -> None:
        self.job = job
        self.store = job.store
        self.run_id = run_id
        self.options = options
        self.tally = Tally()
        self.writer = BatchWriter(
            job.compiled, job.store, job.connectors, run_id, self.tally, self.links_for
        )
        self.writer.created_hook = self.on_created
        self.writer.refused_hook = self.on_refused
        self.pending: dict[int, tuple[str, str, str]] = {}  # id(row) -> source side

    def links_for(self, system: str, variant: str, ids: list[str]) -> dict[str, str]:
        """Record id -> stable id of linked records of one variant."""
        links = self.store.links_for_ids(system, ids, [variant])
        return {rid: link.stable_id for rid, link in links.items()}

    def checkpoint(self, stopped: CrmError | None, system: str, variant: str) -> None:
        """After a batch: stop the run on a CRM that stopped us, else call the hook."""
        if stopped is not None:
            raise stopped
        if self.options.after_batch is not None:
            self.options.after_batch(f"{system}:{variant}")

    # --- bookkeeping before any write ------------------------------------------------

    def bookkeeping(self, plan: Plan) -> None:
        """Link moves, new links, vanished records and review items, in one transaction."""
        with self.store.transaction():
            self._moves(plan)
            for link in plan.links:
                self._link(link)
            reviews = []
            for item in plan.review:
                if item.kind == GONE_KIND:
                    self._gone(item.records[0], dict(item.detail))
                objects = list(item.detail.get("objects") or [])
                system, record_id = item.records[0]
                detail = {"reason": item.reason, "records": [list(r) for r in item.records]}
                detail.update({k: v for k, v in item.detail.items() if k != "objects"})
                reviews.append(
                    NewReview(
                        item.kind, system, (objects or [""])[0] or "record", record_id, detail
                    )
                )
            self.store.add_reviews(reviews, self.run_id)

    def _moves(self, plan: Plan) -> None:
        moves = []
        for move in plan.moves:
            link = self.store.links_for_ids(move.system, [move.from_id]).get(move.from_id)
            if link is None:
                continue
            to_object = _sf_object(move.to_id, link.object) if move.reason == "converted" else None
            moves.append(
                Move(move.system, link.object, move.from_id, to_object or link.object, move.to_id)
            )
        self.store.move_links(moves)

    def _link(self, link: Link) -> None:
        sf = self.store.links_for_ids("salesforce", [link.salesforce_id], [link.salesforce_object])
        hs = self.store.links_for_ids("hubspot", [link.hubspot_id], [link.hubspot_object])
        kind = self.job.compiled.converter("salesforce", link.salesforce_object).pair  # type: ignore[arg-type]
        try:
            have = self._kept(sf.get(link.salesforce_id), hs.get(link.hubspot_id))
            stable = have or link.stable_id or self.store.new_entity(kind)
            self.store.add_links(
                [
                    StoreLink(stable, "salesforce", link.salesforce_object, link.salesforce_id),
                    StoreLink(stable, "hubspot", link.hubspot_object, link.hubspot_id),
                ]
            )
        except LinkConflict as conflict:
            detail = {"reason": str(conflict), "hubspot_id": link.hubspot_id}
            self.store.add_review(
                "conflict", "salesforce", link.salesforce_object, link.salesforce_id, detail
            )

    def _kept(self, sf: StoreLink | None, hs: StoreLink | None) -> str | None:
        """The stable id a new link takes; two one-sided ids of one person are merged first.

        The Salesforce side's id is kept. Any fixed choice is correct; a fixed one makes
        a rerun or an overlapping run pick the same id. Salesforce's is the one that
        already lives through lead conversion (the link moves to the Contact).

        Raises:
            LinkConflict: either id is linked in both systems already (not a one-sided
                pair, so two different persons: a person decides).
        """
        if sf is not None and hs is not None and sf.stable_id != hs.stable_id:
            self.store.merge_entities(sf.stable_id, hs.stable_id)
            return sf.stable_id
        found = sf or hs
        return found.stable_id if found is not None else None

    def _gone(self, record: Any, detail: dict[str, Any]) -> None:
        system, record_id = record
        variant = str(detail.get("object") or "")
        stable = detail.get("stable_id")
        self.store.unlink(system, variant, record_id)
        how = str(detail.get("how") or "erased")
        self.store.add_tombstone(system, variant, record_id, how, stable)

    # --- creates -----------------------------------------------------------------------

    def creates(self, system: str, variant: str, batch: Sequence[Create]) -> CrmError | None:
        """Create records on `system` from their source on the other side, keyed."""
        conv = self.job.compiled.converter(system, variant)  # type: ignore[arg-type]
        source_system = "hubspot" if system == "salesforce" else "salesforce"
        sources = {
            c.source_id or c.key: self._source_variant(conv, source_system, c) for c in batch
        }
        rows, keys = [], []
        for item in self._creatable(conv, source_system, batch, sources):
            row = self.writer.row(conv, None, None, item.fields, {})
            row.native = {**conv.create_defaults, **row.native}
            row.extra_bases = self._default_bases(conv)
            row.source = item.key
            self.pending[id(row)] = (source_system, sources[item.key], item.key)
            rows.append(row)
            keys.append(item.key)
        return self.writer.send(conv, rows, create=True, keys=keys)

    @staticmethod
    def _default_bases(conv: ObjectConverter) -> dict[str, Any]:
        """Canonical values of a create's defaults, stored as bases so they never echo."""
        defaults = dict(conv.create_defaults)
        values, _ = conv.to_canonical(defaults)
        return {
            io.name: to_json_value(values[io.name])
            for io in conv.fields
            if io.name in values and set(io.natives) & set(defaults)
        }

    def _creatable(
        self, conv: ObjectConverter, source_system: str, batch: Sequence[Create], sources: dict
    ) -> list[Create]:
        """Creates whose source is neither linked on the target side nor erased."""
        keys = [c.key for c in batch]
        linked = self.store.links_for_ids(source_system, keys, list(set(sources.values())))
        stables = [link.stable_id for link in linked.values()]
        done = self.store.records_for(stables, conv.system)
        erased = self.store.tombstoned_entities(stables)
        erased_ids = self.store.is_tombstoned(source_system, keys)
        kept = []
        for item in batch:
            link = linked.get(item.key)
            if item.key in erased_ids or (
                link and (link.stable_id in done or link.stable_id in erased)
            ):
                self.tally.skipped.append(f"{conv.system} create from {item.key}: linked or erased")
                continue
            kept.append(item)
        return kept

    def _source_variant(self, conv: ObjectConverter, system: str, item: Create) -> str:
        options = variants(self.job.compiled, conv.pair, system)  # type: ignore[arg-type]
        if len(options) == 1:
            return options[0].variant
        api = SALESFORCE_PREFIXES.get((item.source_id or item.key)[:3], "")
        return next((c.variant for c in options if c.api_object == api), options[0].variant)

    def on_created(self, conv: ObjectConverter, row: Row) -> None:
        """Link a created record to its source (one entity), inside the batch transaction."""
        source_system, source_variant, source_id = self.pending.pop(id(row))
        existing = self.store.links_for_ids(source_system, [source_id], [source_variant])
        link = existing.get(source_id)
        stable = link.stable_id if link else self.store.new_entity(conv.pair)
        new = [StoreLink(stable, conv.system, conv.variant, str(row.record_id))]
        if link is None:
            new.append(StoreLink(stable, source_system, source_variant, source_id))
        try:
            self.store.add_links(new)
        except LinkConflict as conflict:  # the created record is linked elsewhere already
            detail = {"reason": str(conflict), "source": [source_system, source_id]}
            self.store.add_review("conflict", conv.system, conv.variant, str(row.record_id), detail)
            return
        row.stable_id = stable

    def on_refused(self, conv: ObjectConverter, row: Row, result: WriteResult) -> bool:
        """A create refused because the target already holds the record: link to it.

        Returns:
            True when settled here (linked, or a conflict queued), False to report
            the refusal as a rejection.
        """
        source = self.pending.pop(id(row), None)
        holder = holder_of(conv.system, result)
        if source is None or holder is None:
            return False
        refused = Refused(*source, holder=holder, message=result.message or "")
        adopt(self.store, self.run_id, self.tally, conv, row, refused)
        return True


def _sf_object(record_id: str, default: str) -> str:
    return SALESFORCE_PREFIXES.get(record_id[:3], default)
