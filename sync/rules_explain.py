"""`rules explain`: one record read from its CRM, its breakdown and the decisions still pending.

Read-only: the record is read by id (one call; a HubSpot id that is no contact is
tried as a deal), nothing is written to the CRM or the store. Pending means what the
next run would do: the fields it would change, the tasks it would make (keys the
store knows as made are left out), the owner it would route to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from integrations.base import Record, System
from rules.decisions import LeadDecision
from rules.explain import breakdown_text, decision_to_dict, explain
from sync.rules_pass import SystemPass
from sync.rules_plan import Decision, PlannedTask, RecordPlan
from sync.rules_source import Kind, read_fields
from sync.rules_systems import SPECS
from sync.rulesjob import RulesContext

SALESFORCE_PREFIXES: dict[str, Kind] = {"00Q": "lead", "006": "opportunity"}


class RecordNotFound(LookupError):
    """No lead or opportunity with that id in that CRM."""


@dataclass
class Explanation:
    """One record's decisions, for people (`text`) and machines (`as_json`)."""

    plan: RecordPlan
    pending_tasks: list[PlannedTask]
    owner_email: str | None
    emails: Mapping[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The account a rep's manager reads."""
        item, decision = self.plan.item, self.plan.decision
        head = f"{item.system} {item.object} {item.record_id} (owner {self.owner_email or 'none'})"
        if decision is None:
            return f"{head}\nCannot be evaluated: {'; '.join(item.problems)}"
        lines = [head, explain(self._readable(decision))]
        if decision.stage.moved and not self.plan.stage_moved and not item.read_only:
            lines.append(
                "Stage move not written: the stage fields hold these values (or a later lifecycle)"
            )
        if isinstance(decision, LeadDecision):
            lines.append(f"Breakdown as written to the record: {breakdown_text(decision)}")
        if item.read_only:
            lines.append("Read only (a converted lead): crmops writes nothing to it")
        lines.append(
            "Pending field changes:" if self.plan.changes else "Pending field changes: none"
        )
        lines += [f"  - {c.field}: {c.before!r} -> {c.after!r}" for c in self.plan.changes]
        made = {t.spec.key for t in self.pending_tasks}
        done = [t.spec.key for t in self.plan.tasks if t.spec.key not in made]
        lines += [f"Already made (not made again): {key}" for key in done]
        lines += [f"Review: {r.kind}: {r.detail}" for r in self.plan.reviews]
        return "\n".join(lines)

    def _readable(self, decision: Decision) -> Decision:
        """The decision with the native id and owners' emails in place of CRM user ids."""
        tasks = tuple(
            t._replace(assignee=self.emails.get(t.assignee or "", t.assignee))
            if t.assignee_kind == "user_id"
            else t
            for t in decision.tasks
        )
        return decision._replace(record_id=self.plan.item.record_id, tasks=tasks)

    def as_json(self) -> dict[str, Any]:
        """The decision in `rules evaluate --json` shape plus what is pending."""
        decision = self.plan.decision
        item = self.plan.item
        body: dict[str, Any] = {"system": item.system, "object": item.object, "id": item.record_id}
        body["stable_id"] = item.stable_id
        if isinstance(decision, LeadDecision):
            body.update(decision_to_dict(decision), id=item.record_id)
            body["breakdown_text"] = breakdown_text(decision)
        body["pending_changes"] = [
            {"field": c.field, "before": c.before, "after": c.after} for c in self.plan.changes
        ]
        body["pending_tasks"] = [t.spec.key for t in self.pending_tasks]
        body["reviews"] = [{"kind": r.kind, "detail": r.detail} for r in self.plan.reviews]
        return body


def _read(sp: SystemPass, record_id: str) -> tuple[Kind, Record]:
    """The record and its kind: by id prefix in Salesforce, contact then deal in HubSpot."""
    kinds: list[Kind] = ["lead", "opportunity"]
    if sp.spec.system == "salesforce":
        kinds = [SALESFORCE_PREFIXES.get(record_id[:3], "lead")]
    for kind in kinds:
        object = sp.spec.objects()[kind]
        converter = sp.mapping.converter(sp.spec.system, object)
        fields = read_fields(sp.spec, kind, converter)
        found = sp.connector.read_by_ids(object, [record_id], fields)
        if found:
            return kind, found[0]
    raise RecordNotFound(f"no lead or opportunity {record_id!r} in {sp.spec.system}")


def explain_record(
    context: RulesContext, system: System, record_id: str, now: datetime
) -> Explanation:
    """Read one record and explain its score and pending decisions (writes nothing).

    Raises:
        RecordNotFound: the CRM has no such lead/contact or opportunity/deal.
    """
    owners, stage_ids, mapped = context.prepare(system)
    sp = SystemPass(
        context.store, context.connectors[system], SPECS[system], context.compiled, mapped,
        owners, stage_ids, now, dry_run=True, full=False,
    )  # fmt: skip
    kind, record = _read(sp, record_id)
    plan = sp.plan(kind, [record])[0]
    known = context.store.task_keys_known([t.spec.key for t in plan.tasks])
    pending = [
        t for t in plan.tasks if t.spec.key not in known or known[t.spec.key].status == "intent"
    ]
    owner = plan.item.native.get(SPECS[system].owner)
    email = owners.email_of(str(owner) if owner else None)
    return Explanation(plan, pending, email, owners.emails)
