"""SLA compliance of the follow-up rules: new leads answered in time, overdue tasks per owner.

The first-response due time comes from the rules file's own `first_response` task rule
(its SLAs by service type and source, on the calendar or business clock), computed for
every new lead whatever its stage now: a lead already contacted had the same SLA when it
was new. A lead is answered when `first_outreach_at` is set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from integrations.base import Connector, Record
from rules.compiler import Compiled
from rules.conditions import Context
from rules.lead import CanonicalLead, RecordError
from rules.tasks import FAR_FUTURE, CompiledTask, occurrence
from sync.compiled import rules_record
from sync.convert import CODECS, ConversionError
from sync.mapping import Side
from sync.report import Report, SlaTally

FIRST_RESPONSE_RULE = "first_response"
DEFAULT_WINDOW_DAYS = 30
# Open tasks, read with only the fields the count needs.
SALESFORCE_TASK_FIELDS = ["OwnerId", "ActivityDate", "ReminderDateTime"]
STATUS = "hs_task_status"
HUBSPOT_TASK_FIELDS = [STATUS, "hs_timestamp", "hubspot_owner_id"]
HUBSPOT_OPEN = ("NOT_STARTED", "IN_PROGRESS", "WAITING")  # not COMPLETED, not DEFERRED


class SlaCounter:
    """Counts new leads against their first-response SLA, one canonical record at a time."""

    def __init__(
        self, compiled: Compiled, now: datetime, window_days: int = DEFAULT_WINDOW_DAYS
    ) -> None:
        """Prepare for leads evaluated at `now` (aware).

        Args:
            compiled: the compiled rules file (its `first_response` rule and calendar).
            now: the moment compliance is judged at.
            window_days: leads created this many days before `now` or later are new.
        """
        self.compiled = compiled
        self.now = now.astimezone(UTC)
        self.since = self.now - timedelta(days=window_days)
        self.tally = SlaTally(window_days=window_days)
        self.rule = _rule(compiled)
        self.context = Context(compiled.moment(self.now)[0])

    def due(self, lead: CanonicalLead) -> datetime | None:
        """The lead's first-response due time under the rules file (None: no SLA applies)."""
        if self.rule is None:
            return None
        found = occurrence(self.rule, lead, self.context, FAR_FUTURE)
        return None if found is None else found.due

    def add(self, values: Mapping[str, Any], record_id: str, system: Side) -> None:
        """Count one person's canonical values (leads created before the window are skipped)."""
        created = values.get("created_at")
        if not isinstance(created, datetime) or created < self.since:
            return
        try:
            lead = CanonicalLead.from_mapping(
                rules_record(values, record_id, system), self.compiled.extra_types["lead"]
            )
        except RecordError:
            return  # not a lead the rules can read; rules run lists it
        due = self.due(lead)
        if due is None:
            return
        self.tally.new_leads += 1
        answered = lead.first_outreach_at
        if answered is not None:
            if answered <= due:
                self.tally.in_time += 1
            else:
                self.tally.late += 1
        elif due < self.now:
            self.tally.missed += 1
        else:
            self.tally.pending += 1


def _rule(compiled: Compiled) -> CompiledTask | None:
    return next((t for t in compiled.lead_tasks.rules if t.name == FIRST_RESPONSE_RULE), None)


def overdue_by_owner(
    due_and_owner: Iterable[tuple[datetime | date | None, str | None]],
    now: datetime,
    owners: Mapping[str, str],
) -> dict[str, int]:
    """Open tasks past due, counted per owner (shown by email when known, else by id).

    A task due on a date (no time) is overdue from the next day on.
    """
    today = now.astimezone(UTC).date()
    found: Counter[str] = Counter()
    for due, owner in due_and_owner:
        if due is None:
            continue
        late = due < now if isinstance(due, datetime) else due < today
        if late:
            found[owners.get(owner or "", owner or "(no owner)")] += 1
    return dict(found)


def _read(reader: Any, value: Any) -> Any:
    try:
        return reader(value)
    except ConversionError:
        return None


OpenTasks = list[tuple[datetime | date | None, str | None]]  # (due, owner id) of each


def open_tasks(connector: Connector) -> OpenTasks:
    """(due, owner id) of every open task in the connector's CRM.

    Only open tasks are fetched where the connector can filter (a Salesforce query on
    `IsClosed`, a HubSpot search per open status): closed tasks pile up for years.
    """
    if connector.system == "salesforce":
        return _salesforce_open_tasks(connector)
    when = CODECS["datetime"].read["hubspot"]
    find = getattr(connector, "find_by", None)
    if find is not None:
        records = [r for s in HUBSPOT_OPEN for r in find("tasks", STATUS, s, HUBSPOT_TASK_FIELDS)]
    else:
        records = [
            r
            for r in connector.read_all("tasks", HUBSPOT_TASK_FIELDS)
            if r.fields.get(STATUS) in HUBSPOT_OPEN
        ]
    return [
        (_read(when, r.fields.get("hs_timestamp")), r.fields.get("hubspot_owner_id"))
        for r in records
    ]


def _salesforce_open_tasks(connector: Connector) -> list[tuple[datetime | date | None, str | None]]:
    find = getattr(connector, "find", None)
    records: Iterable[Record] = (
        find("Task", "IsClosed", [False], SALESFORCE_TASK_FIELDS)
        if find is not None
        else connector.read_all("Task", [*SALESFORCE_TASK_FIELDS, "IsClosed"])
    )
    when, day = CODECS["datetime"].read["salesforce"], CODECS["date"].read["salesforce"]
    return [
        (
            _read(when, r.fields.get("ReminderDateTime"))
            or _read(day, r.fields.get("ActivityDate")),
            r.fields.get("OwnerId"),
        )
        for r in records
        if find is not None or not r.fields.get("IsClosed")
    ]


def add_sla(
    report: Report,
    connectors: Mapping[Side, Connector],
    counters: Mapping[Side, SlaCounter],
    owners: Mapping[Side, Mapping[str, str]],
    tasks: Mapping[Side, OpenTasks] | None = None,
) -> None:
    """Put each system's SLA counts in the report, with its overdue tasks per owner.

    Args:
        report: the report to fill.
        connectors: per system, to read the open tasks (one query on Salesforce; the task
            list on HubSpot).
        counters: per system, already fed with the persons read.
        owners: per system, owner id -> email.
        tasks: per system, its open tasks already read (`open_tasks`); read here otherwise.
    """
    for system, counter in counters.items():
        found = tasks[system] if tasks and system in tasks else open_tasks(connectors[system])
        counter.tally.overdue_tasks = overdue_by_owner(found, counter.now, owners.get(system, {}))
        report.sla[system] = counter.tally
