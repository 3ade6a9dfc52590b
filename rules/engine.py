"""Pure evaluation: compiled rules + canonical record + explicit `now` -> decisions.

Public API::

    rules = rules.loader.load_rules(path)            # validated RulesFile (ConfigFileError)
    compiled = rules.engine.compile_rules(rules)     # once; closures and tuples
    lead = rules.lead.CanonicalLead.from_mapping(d, compiled.extra_types["lead"])
    decision = rules.engine.evaluate_lead(compiled, lead, now)            # LeadDecision
    decision = rules.engine.evaluate_opportunity(compiled, opportunity, now)

`now` must be aware. No I/O, no clock, no validation on this path. The
compiled rules cache window boundaries for the latest `now`, so evaluate a
batch with one `now` for speed; do not share one Compiled across threads.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

__all__ = ["Compiled", "compile_rules", "evaluate_lead", "evaluate_leads", "evaluate_opportunity"]

from rules.compiler import Compiled, compile_rules
from rules.conditions import Context
from rules.decisions import LeadDecision, OpportunityDecision, Routing, TaskDecision
from rules.lead import CanonicalLead, CanonicalOpportunity
from rules.scoring import score_record
from rules.tasks import CompiledTask, decide_task


def _route(compiled: Compiled, record: Any, ctx: Context) -> Routing | None:
    for name, test, team, members in compiled.routing:
        if test(record, ctx):
            return Routing(name, team, members[zlib.crc32(record.id.encode()) % len(members)])
    return None


def _assignee(
    compiled: Compiled, task: CompiledTask, record: Any, owner: tuple[str | None, str]
) -> tuple[str | None, str]:
    if task.assign_to == "manager":
        if record.manager_id:
            return record.manager_id, "user_id"
        return compiled.escalation_owner, "email"
    if task.assign_to == "senior_sales":
        return compiled.senior_sales_owner, "email"
    if task.assign_to == "escalation":
        return compiled.escalation_owner, "email"
    return owner


def _tasks(
    compiled: Compiled,
    tasks: tuple[CompiledTask, ...],
    record: Any,
    ctx: Context,
    plan: tuple[tuple[datetime, datetime], tuple[str | None, str]],
) -> tuple[list[TaskDecision], list[Any]]:
    limits, owner = plan
    made: list[TaskDecision] = []
    missed: list[Any] = []
    for task in tasks:
        if not task.test(record, ctx):
            continue
        who = owner if task.assign_to == "owner" else _assignee(compiled, task, record, owner)
        found = decide_task(task, record, ctx, limits, who)
        if isinstance(found, TaskDecision):
            made.append(found)
        elif found is not None:
            missed.append(found)
    return made, missed


def evaluate_lead(
    compiled: Compiled, lead: CanonicalLead, now: datetime, *, owner_usable: bool | None = None
) -> LeadDecision:
    """Score, stage, routing and tasks for one lead at `now`.

    Args:
        compiled: from `compile_rules`.
        lead: the canonical lead.
        now: an aware datetime.
        owner_usable: whether `lead.owner_id` can own tasks (None: usable when set). A lead
            without a usable owner is routed (sop-rules.md 4b) and its tasks go to the routed
            owner.
    """
    moment, limits = compiled.moment(now)
    ctx = Context(moment)
    score, entries = score_record(compiled.categories, lead, ctx)
    temperature, rating = compiled.bands[min(max(score, 0), 100)]
    ctx.score, ctx.temperature = score, temperature
    move, unmapped = compiled.lead_stages.decide(lead, ctx)
    usable = bool(lead.owner_id) if owner_usable is None else owner_usable
    routing = None if usable else _route(compiled, lead, ctx)
    routed = routing.owner_email if routing else None
    owner: tuple[str | None, str] = (lead.owner_id, "user_id") if usable else (routed, "email")
    opted_out = compiled.opt_out(lead, ctx) is True
    defer = opted_out and compiled.defer_open_outreach
    tasks = compiled.lead_tasks.for_stage(None if unmapped else ctx.stage, opted_out)
    made, missed = _tasks(compiled, tasks, lead, ctx, (limits, owner))
    return LeadDecision(
        record_id=lead.id,
        score=score,
        breakdown=tuple(entries),
        temperature=temperature,
        salesforce_rating=rating,
        stage=move,
        stage_unmapped=unmapped,
        stage_changed_at=ctx.stage_changed_at,
        routing=routing,
        tasks=tuple(made),
        missed=tuple(missed) if missed else (),
        defer_outreach=defer,
        deferral_note=compiled.deferral_note if defer else None,
        now=now,
    )


def evaluate_leads(
    compiled: Compiled, leads: Iterable[CanonicalLead], now: datetime
) -> Iterator[LeadDecision]:
    """Evaluate many leads at one `now`, lazily and in order (owners taken as usable when set)."""
    for lead in leads:
        yield evaluate_lead(compiled, lead, now)


def evaluate_opportunity(
    compiled: Compiled, opportunity: CanonicalOpportunity, now: datetime
) -> OpportunityDecision:
    """Stage progression and tasks (stale_opportunity, renewal, ...) for one opportunity."""
    moment, limits = compiled.moment(now)
    ctx = Context(moment)
    move, unmapped = compiled.opportunity_stages.decide(opportunity, ctx)
    owner = (opportunity.owner_id, "user_id")
    made, missed = _tasks(
        compiled,
        compiled.opportunity_tasks.for_stage(None if unmapped else ctx.stage),
        opportunity,
        ctx,
        (limits, owner),
    )
    return OpportunityDecision(
        record_id=opportunity.id,
        stage=move,
        stage_unmapped=unmapped,
        stage_changed_at=ctx.stage_changed_at,
        tasks=tuple(made),
        missed=tuple(missed),
    )
