"""What the rules run reads and writes in each CRM: objects, crmops fields, batch sizes, owners.

One `SystemSpec` per CRM names the native objects the rules evaluate (Salesforce
Lead and Opportunity, HubSpot contacts and deals), the fields the run writes
(score, temperature, breakdown, Rating, stage-change time, owner) and how tasks
are deferred. `OwnerDirectory` is a CRM's users/owners read once: who is
active, their emails and (Salesforce) their managers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from integrations.base import Connector, System
from sync.convert import write_hubspot_datetime, write_salesforce_datetime


@dataclass(frozen=True)
class SystemSpec:
    """The native names one CRM's rules run works with."""

    system: System
    lead_object: str
    opportunity_object: str
    task_object: str
    score: str
    temperature: str
    breakdown: str
    rating: str | None
    stage_changed: str
    owner: str
    batch_size: int
    task_status: str
    task_note: str
    deferred_status: str
    open_status: str
    closed_statuses: frozenset[str] = frozenset()  # task statuses a deferral leaves alone
    lead_extra_reads: tuple[str, ...] = ()
    lifecycle: str | None = None  # a stage field that HubSpot never moves backward

    def objects(self) -> dict[str, str]:
        """Canonical kind (lead, opportunity) -> native object."""
        return {"lead": self.lead_object, "opportunity": self.opportunity_object}

    def moment(self, value: Any) -> Any:
        """A datetime as this CRM's wire value."""
        if self.system == "salesforce":
            return write_salesforce_datetime(value)
        return write_hubspot_datetime(value)

    def number(self, value: int) -> Any:
        """A number as this CRM's wire value (HubSpot properties are strings)."""
        return value if self.system == "salesforce" else str(value)


SALESFORCE = SystemSpec(
    system="salesforce",
    lead_object="Lead",
    opportunity_object="Opportunity",
    task_object="Task",
    score="Crmops_Score__c",
    temperature="Crmops_Temperature__c",
    breakdown="Crmops_Score_Breakdown__c",
    rating="Rating",
    stage_changed="Stage_Changed_At__c",
    owner="OwnerId",
    batch_size=200,
    task_status="Status",
    task_note="Description",
    deferred_status="Deferred",
    open_status="Not Started",
    closed_statuses=frozenset({"Completed", "Deferred"}),
    lead_extra_reads=(
        "IsConverted",
        "ConvertedContactId",
        "ConvertedOpportunity.IsWon",  # has_won_deal (sync/rules_deals.py)
    ),
)
HUBSPOT = SystemSpec(
    system="hubspot",
    lead_object="contacts",
    opportunity_object="deals",
    task_object="tasks",
    score="crmops_score",
    temperature="crmops_temperature",
    breakdown="crmops_score_breakdown",
    rating=None,
    stage_changed="stage_changed_at",
    owner="hubspot_owner_id",
    batch_size=100,
    task_status="hs_task_status",
    task_note="hs_task_body",
    deferred_status="DEFERRED",
    open_status="NOT_STARTED",
    closed_statuses=frozenset({"COMPLETED", "DEFERRED"}),
    lifecycle="lifecyclestage",
)
SPECS: dict[str, SystemSpec] = {"salesforce": SALESFORCE, "hubspot": HUBSPOT}
# HubSpot's lifecycle order: a value earlier in this list is never written over a later one.
LIFECYCLE_ORDER: tuple[str, ...] = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
)
SALESFORCE_USER_FIELDS = ("Email", "IsActive", "ManagerId")


@dataclass(frozen=True)
class OwnerDirectory:
    """A CRM's owners: id -> email, which may own records and tasks, and managers."""

    emails: Mapping[str, str] = field(default_factory=dict)
    active: frozenset[str] = frozenset()
    managers: Mapping[str, str] = field(default_factory=dict)

    def usable(self, owner_id: str | None) -> bool:
        """Whether this id is an active user/owner (not a queue, not deactivated)."""
        return bool(owner_id) and owner_id in self.active

    def by_email(self, email: str | None) -> str | None:
        """The active owner id with this email, if any."""
        if not email:
            return None
        wanted = email.strip().lower()
        for owner_id, known in self.emails.items():
            if known == wanted and owner_id in self.active:
                return owner_id
        return None

    def email_of(self, owner_id: str | None) -> str | None:
        """An owner's email (for people reading explanations)."""
        return self.emails.get(owner_id or "")


def read_owners(connector: Connector) -> OwnerDirectory:
    """The owner directory of one CRM (one call: the User query, or the owners list)."""
    if connector.system == "salesforce":
        emails: dict[str, str] = {}
        active: set[str] = set()
        managers: dict[str, str] = {}
        for user in connector.read_all("User", SALESFORCE_USER_FIELDS):
            emails[user.id] = str(user.fields.get("Email") or "").strip().lower()
            if user.fields.get("IsActive"):
                active.add(user.id)
            if user.fields.get("ManagerId"):
                managers[user.id] = str(user.fields["ManagerId"])
        return OwnerDirectory(emails, frozenset(active), managers)
    owners: list[dict[str, Any]] = getattr(connector, "owners")()  # noqa: B009 - HubSpot only
    return OwnerDirectory(
        {str(o["id"]): str(o.get("email") or "").strip().lower() for o in owners},
        frozenset(str(o["id"]) for o in owners if not o.get("archived")),
    )
