"""Planning one pair: match what was read, diff linked records against their bases, plan creates.

Pure over what `sync.gather` read and the store's links, bases and tombstones (read
only): the result is plan items plus the bases both sides already agree on. Records
that vanished from a side (deleted, merged away, erased) become review items of kind
`deleted` whose detail says what apply must do (unlink, tombstone) so the change
travels with a saved plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sync.candidates import Candidate, Merge, ReviewItem, candidate_of, ids_to_look_up
from sync.compiled import CompiledMapping
from sync.convert import to_json_value
from sync.diff import OTHER, FieldChange, FieldRule, PairDiff, Times, diff_pair
from sync.field_times import FieldTimesReader, KnownTimes, Pending, fetch_times, timed_conflicts
from sync.gather import PairRead, Seen, variants
from sync.identity import match_records
from sync.mapping import SIDES, Side
from sync.plan import Create, Link, Plan, RecordRef, updates_from_diff
from sync.store import StateStore

GONE_KIND = "deleted"  # review kind for a linked record that left its CRM
HELD_KINDS = frozenset({"duplicate", "fuzzy", "conflict"})


def held_for_review(store: StateStore) -> set[tuple[str, str]]:
    """(system, record id) of records an open duplicate, look-alike or conflict item names.

    An incremental read sees one record of such a group at a time, where it would
    look unique: it is neither linked nor created until a person settles the item.
    """
    held: set[tuple[str, str]] = set()
    for item in store.reviews(open_only=True):
        if item.kind not in HELD_KINDS:
            continue
        held.add((item.system, item.record_id))
        records = item.detail.get("records") if isinstance(item.detail, dict) else None
        held.update((str(s), str(r)) for s, r in records or [])
    return held


@dataclass
class Vanished:
    """A linked record that a read by id did not return."""

    stable_id: str
    system: Side
    variant: str
    record_id: str
    how: str = "erased"  # deleted (in the delete sweep) or erased (no trace: GDPR)


@dataclass
class PairPlan:
    """What planning one pair added: agreed bases by Salesforce record id, and counts."""

    agreed: dict[str, dict[str, Any]] = field(default_factory=dict)
    in_sync: int = 0
    matched: int = 0


class PairPlanner:
    """Match, diff and plan creates for one pair's records."""

    def __init__(
        self,
        compiled: CompiledMapping,
        store: StateStore,
        read: PairRead,
        plan: Plan,
        field_times: FieldTimesReader | None = None,
    ) -> None:
        """Plan one pair; `field_times` reads change times for conflicts decided by time."""
        self.compiled = compiled
        self.store = store
        self.read = read
        self.plan = plan
        self.field_times = field_times
        self.pending: list[Pending] = []  # pairs waiting for field change times
        self.known: KnownTimes | None = None  # None until the change times were read
        self.out = PairPlan()
        self.objects = {s: [c.variant for c in variants(compiled, read.pair, s)] for s in SIDES}

    # --- links -------------------------------------------------------------------------

    def links(self, ids: Mapping[Side, list[str]]) -> dict[tuple[str, str], str]:
        """(system, record id) -> stable id for these records of this pair."""
        found: dict[tuple[str, str], str] = {}
        for system in SIDES:
            if ids.get(system):
                links = self.store.links_for_ids(system, ids[system], self.objects[system])
                found.update({(system, rid): link.stable_id for rid, link in links.items()})
        return found

    def one_sided(self, links: Mapping[tuple[str, str], str]) -> set[str]:
        """Stable ids among `links` linked in one system only, and never on the other.

        A rules run gives a record it meets first its own stable id, so the two sides
        of one person can each hold one until a sync matches them. An entity whose
        other record left its CRM (a tombstone) stays as it is: never matched again.
        """
        found: set[str] = set()
        for system in SIDES:
            mine = {stable for (s, _), stable in links.items() if s == system}
            found |= mine - set(self.store.records_for(list(mine), OTHER[system]))
        return found - self.store.tombstoned_entities(list(found))

    def _hold(self, cands: dict[Side, list[Candidate]], links: Mapping[Any, str]) -> None:
        """Drop unlinked candidates held for review, and any sharing an email with them."""
        held = held_for_review(self.store)
        free = {s: [c for c in cands[s] if (s, c.id) not in links] for s in SIDES}
        emails = {c.email for s in SIDES for c in free[s] if (s, c.id) in held and c.email}
        for system in SIDES:
            cands[system] = [
                c
                for c in cands[system]
                if (system, c.id) in links
                or ((system, c.id) not in held and (not c.email or c.email not in emails))
            ]

    def candidates(self) -> dict[Side, list[Candidate]]:
        """Identity candidates of every record read."""
        return {
            s: [
                x.candidate or candidate_of(x.conv, rid, x.record.fields, x.values)
                for rid, x in seen.items()
            ]
            for s, seen in self.read.seen.items()
        }

    # --- the whole pair ------------------------------------------------------------------

    def run(self, merges: list[Merge], vanished: list[Vanished], full: bool) -> PairPlan:
        """Match, then plan updates, links, creates and vanished-record items."""
        cands = self.candidates()
        wanted: dict[Side, list[str]] = {"salesforce": [], "hubspot": []}
        for system, record_id in ids_to_look_up([*cands["salesforce"], *cands["hubspot"]]):
            wanted[system].append(record_id)
        for m in merges:
            wanted[m.system] += [m.loser, m.winner]
        links = self.links(wanted)
        one_sided = self.one_sided(links)
        if not full:  # a full read meets every record again and re-decides its review item
            self._hold(cands, {k: v for k, v in links.items() if v not in one_sided})
        result = match_records(
            self.read.pair,
            cands["salesforce"],
            cands["hubspot"],
            links,
            merges=merges,
            fuzzy_threshold=self.compiled.mapping.options.fuzzy_threshold,
            one_sided=one_sided,
        )
        self.plan.moves.extend(result.moves)
        self.plan.review.extend(self._with_objects(item) for item in result.review)
        self._vanished(vanished)
        bases = self.store.bases_for(list(result.linked))
        for stable, sides in sorted(result.linked.items()):
            if "salesforce" in sides and "hubspot" in sides:
                self._pair(sides["salesforce"], sides["hubspot"], stable, bases.get(stable))
        self._timed()
        for match in result.matches:
            self._new_link(match.salesforce_id, match.hubspot_id, match.how)
        tombstoned = {
            s: self.store.is_tombstoned(s, [c.id for c in result.unmatched.get(s, [])])
            for s in SIDES
        }
        for system in SIDES:
            for cand in result.unmatched.get(system, []):
                if cand.id not in tombstoned[system]:
                    self._create(self.read.seen[system][cand.id])
        return self.out

    # --- pieces --------------------------------------------------------------------------

    def rules(self, sf: Seen, hs: Seen) -> dict[str, FieldRule]:
        """Field rules of this pair of variants, less the fields this sync leaves out."""
        rules = self.compiled.rules(sf.conv, hs.conv)
        skipped = set(rules) - set(sf.values) - set(hs.values)
        return {n: r for n, r in rules.items() if n not in skipped}

    def _diff(
        self, sf: Seen, hs: Seen, base: Mapping[str, Any] | None, stable: str | None = None
    ) -> PairDiff | None:
        """The pair's diff, or None when it waits for field change times (`_timed`)."""
        known = self.known or {}
        times = Times(
            salesforce=sf.record.modified,
            hubspot=hs.record.modified,
            salesforce_fields=known.get(("salesforce", sf.record.id), {}),
            hubspot_fields=known.get(("hubspot", hs.record.id), {}),
        )
        diff = diff_pair(self.rules(sf, hs), sf.values, hs.values, base, times)
        if self.field_times is not None and self.known is None:
            fields = timed_conflicts(diff)
            if fields:
                self.pending.append(Pending(sf, hs, stable, base, fields))
                return None
        if sf.read_only:  # a converted lead is read for links only, never written
            diff.changes = [c for c in diff.changes if c.target_system != "salesforce"]
        targets = {"salesforce": sf, "hubspot": hs}
        diff.changes = [c for c in diff.changes if self._writable(targets[c.target_system], c)]
        return diff

    def _timed(self) -> None:
        """Read the change times of fields changed on both sides, then plan those pairs."""
        if not self.pending or self.field_times is None:
            return
        self.known = fetch_times(self.field_times, self.pending)
        for item in self.pending:
            self._pair(item.sf.record.id, item.hs.record.id, item.stable, item.base)
        self.pending = []

    def _writable(self, target: Seen, change: FieldChange) -> bool:
        """A value the target can take; one it cannot (an owner with no match) goes to review."""
        _, problems = target.conv.to_native({change.field: change.new})
        if not problems:
            return True
        kind = "unmatched_owner" if change.field == "owner_id" else "rejected"
        self.plan.review.append(
            ReviewItem(
                kind,  # type: ignore[arg-type]
                f"{change.field} cannot be written to {target.conv.system}: {problems[0].message}",
                ((target.conv.system, target.record.id),),
                {
                    "field": change.field,
                    "value": to_json_value(change.new),
                    "objects": [target.conv.variant],
                },
            )
        )
        return False

    def _pair(self, sf_id: str, hs_id: str, stable: str | None, base: Any) -> None:
        sf = self.read.seen["salesforce"].get(sf_id)
        hs = self.read.seen["hubspot"].get(hs_id)
        if sf is None or hs is None:
            return
        diff = self._diff(sf, hs, base, stable)
        if diff is None:
            return
        self.out.matched += 1
        changed = {c.field for c in diff.changes}
        agreed = {
            name: to_json_value(value)
            for name, value in diff.base.items()
            if name not in changed and (base is None or base.get(name) != to_json_value(value))
        }
        agreed.update(self._held_bases(diff, {"salesforce": sf, "hubspot": hs}, base))
        if agreed:
            self.out.agreed[sf_id] = agreed
        if not diff.changes:
            self.out.in_sync += 1
            return
        refs = [RecordRef(x.conv.variant, x.record.id, x.record.modified) for x in (sf, hs)]
        self.plan.updates.extend(updates_from_diff(diff, refs[0], refs[1], stable))

    @staticmethod
    def _held_bases(
        diff: PairDiff, sides: Mapping[str, Seen], base: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        """A field crmops may not write on one side keeps that side's value as its base.

        So the other side's value stays put until the read-only side changes, instead
        of flipping with whichever record was touched last.
        """
        held = {}
        for name, reason in diff.held:
            target = reason.split(" ", 1)[0]
            if "is not written" in reason and target in sides:
                value = to_json_value(sides[target].values.get(name))
                if base is None or base.get(name) != value:
                    held[name] = value
        return held

    def _new_link(self, sf_id: str, hs_id: str, how: str) -> None:
        sf = self.read.seen["salesforce"].get(sf_id)
        hs = self.read.seen["hubspot"].get(hs_id)
        if sf is None or hs is None:
            return
        self.plan.links.append(Link(sf.conv.variant, sf_id, hs.conv.variant, hs_id, how))
        self._pair(sf_id, hs_id, None, None)

    def _create(self, source: Seen) -> None:
        if source.read_only:
            return
        target = self.compiled.create_target(source.conv)
        if target is None:
            return
        values = self.compiled.create_values(source.conv, target, source.values)
        self.plan.creates.append(
            Create(
                target.system,
                target.variant,
                key=source.record.id,
                fields={k: values[k] for k in sorted(values)},
                source_id=source.record.id,
            )
        )

    def _with_objects(self, item: ReviewItem) -> ReviewItem:
        """The item with each record's object, so the review queue can name it."""
        objects = [
            seen.conv.variant if (seen := self.read.seen[s].get(rid)) else ""  # type: ignore[index]
            for s, rid in item.records
        ]
        detail = {**item.detail, "objects": objects}
        return ReviewItem(item.kind, item.reason, item.records, detail)

    def _vanished(self, vanished: list[Vanished]) -> None:
        erased = self.compiled.mapping.options.on_erasure
        for gone in vanished:
            self.plan.review.append(
                ReviewItem(
                    GONE_KIND,  # type: ignore[arg-type]
                    f"{gone.system} {gone.variant} {gone.record_id} was {gone.how}; "
                    f"unlinked, and not recreated from {OTHER[gone.system]} ({erased})",
                    ((gone.system, gone.record_id),),
                    {"stable_id": gone.stable_id, "object": gone.variant, "how": gone.how},
                )
            )
