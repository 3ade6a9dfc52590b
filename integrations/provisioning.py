"""What crmops needs to exist in each CRM before it writes: custom fields and picklist values.

`crmops init` provisions `SALESFORCE_FIELDS` and `HUBSPOT_PROPERTIES`; `crmops doctor`
checks them, and checks the picklist values crmops writes against what describe allows.
"""

from __future__ import annotations

from integrations.base import FieldSpec

# The external-id field each Salesforce object is created through, so a retried create
# is an upsert and never a duplicate: the other system's id, or the crmops task key.
SALESFORCE_KEY_FIELDS: dict[str, str] = {
    "Lead": "HubSpot_Id__c",
    "Contact": "HubSpot_Id__c",
    "Account": "HubSpot_Id__c",
    "Opportunity": "HubSpot_Id__c",
    "Task": "Crmops_Key__c",
}

SALESFORCE_FIELDS: tuple[FieldSpec, ...] = (
    *(
        spec
        for obj in ("Lead", "Contact")
        for spec in (
            FieldSpec(obj, "Crmops_Score__c", "number", "crmops score"),
            FieldSpec(obj, "Crmops_Temperature__c", "text", "crmops temperature"),
            FieldSpec(obj, "Crmops_Score_Breakdown__c", "longtext", "crmops score breakdown"),
            FieldSpec(obj, "HubSpot_Id__c", "id", "HubSpot id", unique=True),
        )
    ),
    FieldSpec("Account", "HubSpot_Id__c", "id", "HubSpot id", unique=True),
    FieldSpec("Opportunity", "HubSpot_Id__c", "id", "HubSpot id", unique=True),
    FieldSpec("Task", "Crmops_Key__c", "id", "crmops task key", unique=True),
)

HUBSPOT_PROPERTIES: tuple[FieldSpec, ...] = (
    FieldSpec("contacts", "crmops_score", "number", "crmops score"),
    FieldSpec("contacts", "crmops_temperature", "text", "crmops temperature"),
    FieldSpec("contacts", "crmops_score_breakdown", "longtext", "crmops score breakdown"),
    FieldSpec("contacts", "salesforce_id", "id", "Salesforce id", unique=True),
    FieldSpec("companies", "salesforce_id", "id", "Salesforce id", unique=True),
    FieldSpec("deals", "salesforce_id", "id", "Salesforce id", unique=True),
    FieldSpec("tasks", "crmops_key", "id", "crmops task key", unique=True),
)

# Stage -> Lead Status, as the default mapping writes them.
SALESFORCE_LEAD_STATUSES: tuple[str, ...] = (
    "Open - Not Contacted",
    "Working - Contacted",
    "Working - Engaged",
    "Qualified",
    "Appointment Set",
    "Closed - Converted",
    "Closed - Not Converted",
)
SALESFORCE_RATINGS: tuple[str, ...] = ("Hot", "Warm", "Cold")
# TaskSpec.status open/completed/deferred, in Salesforce's words.
SALESFORCE_TASK_STATUSES: dict[str, str] = {
    "open": "Not Started",
    "completed": "Completed",
    "deferred": "Deferred",
}
SALESFORCE_TASK_PRIORITIES: tuple[str, ...] = ("High", "Normal", "Low")

# "Object.Field" -> values crmops may write; doctor checks each against describe.
SALESFORCE_PICKLIST_VALUES: dict[str, set[str]] = {
    "Lead.Status": set(SALESFORCE_LEAD_STATUSES),
    "Lead.Rating": set(SALESFORCE_RATINGS),
    "Task.Status": set(SALESFORCE_TASK_STATUSES.values()),
    "Task.Priority": set(SALESFORCE_TASK_PRIORITIES),
}

_TASK_FIELDS = (
    "Subject", "WhoId", "WhatId", "OwnerId", "ActivityDate", "ReminderDateTime",
    "IsReminderSet", "Status", "Priority", "Description",
)  # fmt: skip


def _provisioned(specs: tuple[FieldSpec, ...]) -> dict[str, set[str]]:
    fields: dict[str, set[str]] = {}
    for spec in specs:
        fields.setdefault(spec.object, set()).add(spec.name)
    return fields


# Object -> fields crmops writes (the rules' and the tasks'); doctor checks they are editable.
SALESFORCE_WRITTEN_FIELDS: dict[str, set[str]] = {
    **_provisioned(SALESFORCE_FIELDS),
    "Lead": _provisioned(SALESFORCE_FIELDS)["Lead"] | {"Status", "Rating", "Stage_Changed_At__c"},
    "Task": _provisioned(SALESFORCE_FIELDS)["Task"] | set(_TASK_FIELDS),
}
HUBSPOT_WRITTEN_PROPERTIES: dict[str, set[str]] = _provisioned(HUBSPOT_PROPERTIES)
