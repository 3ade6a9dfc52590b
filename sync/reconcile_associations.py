"""A reconcile's company associations: planned as the sync plans them, also when it is dry.

Public API: `KeptEnds`, `referenced_pairs(job)`, `plan_reconciled(job, read, plan,
starts, kept)`.

`sync.references.plan_associations` finds an association's ends through the store's
links and the plan's links and HubSpot creates (a company created by the same plan).
A dry reconcile lets each shard's plan items go once counted, so it keeps a slim copy
of the referenced pairs' links and HubSpot creates (ids only) and plans each shard's
associations against them in a scratch plan: it counts exactly what a kept plan holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from sync.gather import PairRead
from sync.job import PAIRS, Job
from sync.plan import Create, Link, Plan
from sync.references import plan_associations, reference_fields


@dataclass
class KeptEnds:
    """A dry reconcile's links and HubSpot creates (ids only) of pairs others reference."""

    links: list[Link] = field(default_factory=list)
    creates: list[Create] = field(default_factory=list)

    def keep(self, plan: Plan, starts: Mapping[str, int]) -> None:
        """Keep the ends among the plan items added since `starts`, before they are let go."""
        self.links += plan.links[starts["links"] :]
        self.creates += [
            Create(c.system, c.object, c.key, {}, source_id=c.source_id)
            for c in plan.creates[starts["creates"] :]
            if c.system == "hubspot"
        ]


def referenced_pairs(job: Job) -> set[str]:
    """Pairs some reference field points at (company)."""
    return {ref.target for pair in PAIRS for ref in reference_fields(job, pair)}


def plan_reconciled(
    job: Job, read: PairRead, plan: Plan, starts: Mapping[str, int], kept: KeptEnds | None
) -> int:
    """Plan the associations HubSpot lacks for one shard; how many were planned.

    Args:
        job: the run.
        read: the shard read.
        plan: the reconcile's plan.
        starts: where the shard's items start in each of the plan's lists.
        kept: a dry reconcile's kept ends (its associations go to a scratch plan and
            are only counted); None when the plan is kept whole.
    """
    if kept is None:
        return plan_associations(job, read, plan)
    scratch = replace(
        plan,
        links=[*kept.links, *plan.links[starts["links"] :]],
        creates=[*kept.creates, *plan.creates[starts["creates"] :]],
        associations=[],
    )
    return plan_associations(job, read, scratch)
