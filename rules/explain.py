"""Decisions as text and JSON.

`explain` for a manager, `breakdown_text` for the CRM field, `decision_to_dict`
for `rules evaluate --json`.
"""

from __future__ import annotations

from typing import Any

from rules.decisions import LeadDecision, OpportunityDecision, TaskDecision

BREAKDOWN_LIMIT = 255  # a Salesforce Text(255) / HubSpot single-line field


def _signed(points: int) -> str:
    return f"+{points}" if points >= 0 else str(points)


def breakdown_text(decision: LeadDecision, limit: int = BREAKDOWN_LIMIT) -> str:
    """A short one-line breakdown a rep reads in the CRM, e.g. "90 Extremely Hot: title +10, ...".

    Never longer than `limit` characters (entries that do not fit end in "...").
    """
    head = f"{decision.score} {decision.temperature}"
    parts = [f"{e.criterion} {_signed(e.points)}" for e in decision.breakdown]
    text = head + (": " + ", ".join(parts) if parts else ": no criteria met")
    if len(text) <= limit:
        return text
    return text[: limit - 3].rstrip(", ") + "..."


def _task_line(task: TaskDecision) -> str:
    who = task.assignee or "(no owner)"
    due = task.due.strftime("%a %Y-%m-%d %H:%M %Z")
    tag = "" if task.outreach else " [internal]"
    return f"  - {task.subject} ({task.priority}, due {due}, to {who}){tag}  key {task.key}"


def _stage_and_tasks(decision: LeadDecision | OpportunityDecision) -> list[str]:
    stage = decision.stage
    if decision.stage_unmapped:
        lines = [f"Stage: '{stage.from_}' maps to no SOP stage; left as it is"]
    elif stage.moved:
        lines = [f"Stage: {stage.from_} -> {stage.to} ({stage.reason})"]
    else:
        lines = [f"Stage: stays {stage.from_}"]
    lines.append("Tasks:" if decision.tasks else "Tasks: none due")
    lines += [_task_line(t) for t in decision.tasks]
    for missed in decision.missed:
        due = missed.due.strftime("%Y-%m-%d %H:%M %Z")
        lines.append(f"Missed (due {due}, past the maximum lateness): {missed.key}")
    return lines


def explain(decision: LeadDecision | OpportunityDecision) -> str:
    """A readable account of one record's decisions: score and why, stage, owner, tasks."""
    if isinstance(decision, OpportunityDecision):
        return "\n".join([f"Opportunity {decision.record_id}", *_stage_and_tasks(decision)])
    lines = [
        f"Lead {decision.record_id}: score {decision.score} ({decision.temperature}, "
        f"Salesforce rating {decision.salesforce_rating})"
    ]
    lines += [f"  {e.criterion:<24} {_signed(e.points):>4}" for e in decision.breakdown]
    if not decision.breakdown:
        lines.append("  no scoring criterion met")
    else:
        lines.append(f"  {'total':<24} {decision.score:>4}")
    if decision.routing is not None:
        r = decision.routing
        lines.append(f"Owner: none usable; routed to {r.owner_email} ({r.team} team, {r.rule})")
    lines += _stage_and_tasks(decision)
    if decision.defer_outreach:
        lines.append("Opted out: no outreach tasks; open outreach tasks are deferred")
    return "\n".join(lines)


def task_to_dict(task: TaskDecision) -> dict[str, Any]:
    """One task as `rules evaluate --json` prints it."""
    return {
        "rule": task.rule,
        "key": task.key,
        "subject": task.subject,
        "due": task.due.isoformat(),
        "priority": task.priority,
        "assignee": task.assignee,
    }


def decision_to_dict(decision: LeadDecision) -> dict[str, Any]:
    """A lead decision in the JSON shape of `crmops rules evaluate --json`."""
    return {
        "id": decision.record_id,
        "score": decision.score,
        "temperature": decision.temperature,
        "breakdown": [{"criterion": e.criterion, "points": e.points} for e in decision.breakdown],
        "stage": {
            "from": decision.stage.from_,
            "to": decision.stage.to,
            "reason": decision.stage.reason,
        },
        "tasks": [task_to_dict(t) for t in decision.tasks],
    }
