"""A report's JSON form laid out as titled tables of text: what the terminal and HTML both draw.

`sections(data)` is the single layout; `table(data)` renders it with rich for the
terminal (`summary_lines(data)` is its short form) and `sync.report_html.render` as
HTML, so the two never disagree on a number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table

SYSTEM_NAMES = {"salesforce": "Salesforce", "hubspot": "HubSpot"}
OBJECT_ROWS = (
    ("matched", "matched"),
    ("in_sync", "in sync"),
    ("updated.salesforce", "updated in SF"),
    ("updated.hubspot", "updated in HS"),
    ("created.salesforce", "created in SF"),
    ("created.hubspot", "created in HS"),
    ("only_in.salesforce", "only in SF"),
    ("only_in.hubspot", "only in HS"),
    ("associations", "associations missing in HS"),
    ("conflicts", "conflicts"),
    ("duplicates", "duplicates"),
    ("fuzzy", "look-alikes"),
    ("rejected", "rejected"),
)
SLA_COLUMNS = (
    ("new_leads", "new leads"),
    ("in_time", "answered in SLA"),
    ("late", "answered late"),
    ("missed", "unanswered, past SLA"),
    ("pending", "within SLA, open"),
)


@dataclass(frozen=True)
class Section:
    """One table: a title, column headers, rows of cell text, and an optional note."""

    key: str
    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]
    note: str = ""


def _get(data: Mapping[str, Any], dotted: str) -> Any:
    value: Any = data
    for part in dotted.split("."):
        value = value.get(part, 0) if isinstance(value, Mapping) else 0
    return value


def number(value: Any) -> str:
    """A count as shown everywhere in a report (thousands separated; blank as '-')."""
    if value is None:
        return "-"
    return f"{value:,}" if isinstance(value, int) else str(value)


def percent(share: float | None) -> str:
    """A 0..1 share as a percentage with one decimal, '-' when undefined."""
    return "-" if share is None else f"{share * 100:.1f}%"


def counts(values: Mapping[str, int]) -> str:
    """`{a: 2, b: 1}` as `a 2, b 1`, largest first; '-' when empty."""
    ordered = sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{k} {number(v)}" for k, v in ordered) or "-"


def _objects(data: Mapping[str, Any]) -> Section:
    """One column per object, one row per figure: reads well at any terminal width."""
    objects = data.get("objects", {})
    rows = [
        (label, *(number(_get(tally, key)) for tally in objects.values()))
        for key, label in OBJECT_ROWS
    ]
    mode = "repairs applied" if data.get("applied") else "planned only (dry run): nothing written"
    return Section("objects", "Records per object", ("", *objects), rows if objects else [], mode)


def _api(data: Mapping[str, Any]) -> Section:
    rows = [
        (
            SYSTEM_NAMES.get(system, system),
            number(tally["calls"]),
            number(tally.get("limit")),
            number(tally.get("remaining")),
            counts(tally.get("by_endpoint", {})),
        )
        for system, tally in data.get("api", {}).items()
    ]
    headers = ("system", "calls this run", "daily limit", "remaining today", "by endpoint")
    return Section("api", "API calls", headers, rows)


def _sla(data: Mapping[str, Any]) -> Section:
    rows, window = [], 30
    for system, tally in data.get("sla", {}).items():
        window = tally.get("window_days", window)
        rows.append(
            (
                SYSTEM_NAMES.get(system, system),
                *(number(tally[key]) for key, _ in SLA_COLUMNS),
                percent(tally.get("compliance")),
            )
        )
    headers = ("system", *(h for _, h in SLA_COLUMNS), "compliance")
    note = (
        f"Leads created in the last {window} days; first response due by the SOP's "
        "first_response SLA, answered when first_outreach_at is set."
    )
    return Section("sla", "Follow-up SLA compliance", headers, rows, note)


def _overdue(data: Mapping[str, Any]) -> Section:
    """Open tasks past due, one row per owner, one column per CRM."""
    sla = data.get("sla", {})
    owners = sorted({owner for tally in sla.values() for owner in tally.get("overdue_tasks", {})})
    rows = [
        (owner, *(number(tally.get("overdue_tasks", {}).get(owner, 0)) for tally in sla.values()))
        for owner in owners
    ]
    headers = ("owner", *(SYSTEM_NAMES.get(system, system) for system in sla))
    return Section("overdue", "Overdue tasks per owner", headers, rows)


def _rules(data: Mapping[str, Any]) -> Section:
    rows = [
        (
            SYSTEM_NAMES.get(system, system),
            number(tally["leads"]),
            counts(tally.get("temperatures", {})),
            counts(tally.get("stage_moves", {})),
            counts(tally.get("tasks_created", {})),
            number(tally.get("fields_written", 0)),
            number(tally.get("rejected", 0)),
        )
        for system, tally in data.get("rules", {}).items()
    ]
    headers = (
        "system",
        "leads",
        "temperature",
        "stage moves",
        "tasks created by rule",
        "fields written",
        "rejected",
    )
    return Section("rules", "SOP rules", headers, rows)


def _problems(data: Mapping[str, Any]) -> Section:
    rows = [
        (SYSTEM_NAMES.get(r["system"], r["system"]), r["object"], r["record_id"], r["reason"])
        for r in data.get("rejections", [])
    ]
    rows += [
        ("review", item.get("kind", ""), ", ".join(item.get("records", [])), item.get("reason", ""))
        for item in data.get("review", [])
    ]
    shown, total = len(data.get("review", [])), data.get("review_total", 0)
    note = f"{number(total - shown)} more review items not listed." if total > shown else ""
    return Section(
        "problems",
        "Rejected records and review queue",
        ("system / queue", "object / kind", "record(s)", "reason"),
        rows,
        note,
    )


DELETION_LABELS = {
    "deleted": "deleted or archived on one side: unlinked, reported",
    "merged": "merged: link moved to the surviving record",
    "erased": "erased without trace (GDPR): tombstoned, never recreated",
}


def _deletions(data: Mapping[str, Any]) -> Section:
    rows = [
        (DELETION_LABELS.get(kind, kind), number(n))
        for kind, n in data.get("deletions", {}).items()
    ]
    return Section("deletions", "Deletes and merges", ("what", "records"), rows)


def sections(data: Mapping[str, Any]) -> list[Section]:
    """The report's tables, in reading order; empty ones are left out."""
    built = [
        _objects(data),
        _rules(data),
        _deletions(data),
        _api(data),
        _sla(data),
        _overdue(data),
        _problems(data),
    ]
    return [s for s in built if s.rows]


def headline(data: Mapping[str, Any]) -> str:
    """One line saying what the run was and how it ended."""
    run = f" run {data['run_id']}" if data.get("run_id") else ""
    return (
        f"crmops {data.get('kind', 'report')}{run} at {data.get('generated_at', '')}: "
        f"{data.get('status', '')} (exit {data.get('exit_code', 0)})"
    )


def table(data: dict[str, Any], only: Sequence[str] | None = None) -> Group:
    """The report's tables for the terminal (rich), drawn from its JSON form.

    Args:
        data: the report's JSON form.
        only: section keys to show (objects, rules, deletions, api, sla, problems).
    """
    parts: list[Any] = [headline(data)]
    for section in sections(data):
        if only is not None and section.key not in only:
            continue
        grid = Table(title=section.title, caption=section.note or None, title_justify="left")
        for header in section.headers:
            grid.add_column(header, overflow="fold")
        for row in section.rows:
            grid.add_row(*row)
        parts.append(grid)
    parts.extend(str(note) for note in data.get("notes", []))
    return Group(*parts)


def summary_lines(data: dict[str, Any]) -> list[str]:
    """A few lines a person reads first: sync totals, rules outcome, SLA, API calls."""
    lines = [headline(data)]
    totals: dict[str, int] = {}
    for tally in data.get("objects", {}).values():
        for key in ("matched", "in_sync", "conflicts", "duplicates", "rejected"):
            totals[key] = totals.get(key, 0) + tally[key]
        for key in ("updated", "created", "only_in"):
            for system, n in tally[key].items():
                totals[f"{key}.{system}"] = totals.get(f"{key}.{system}", 0) + n
    if totals:
        lines.append(
            "sync: {m} matched, {s} in sync; updated {u1} in Salesforce / {u2} in HubSpot; "
            "created {c1} / {c2}; {d} duplicates and {k} conflicts for review; {r} rejected".format(
                m=number(totals["matched"]),
                s=number(totals["in_sync"]),
                u1=number(totals["updated.salesforce"]),
                u2=number(totals["updated.hubspot"]),
                c1=number(totals["created.salesforce"]),
                c2=number(totals["created.hubspot"]),
                d=number(totals["duplicates"]),
                k=number(totals["conflicts"]),
                r=number(totals["rejected"]),
            )
        )
    for system, rules in data.get("rules", {}).items():
        lines.append(
            f"rules on {system}: {number(rules['leads'])} leads; temperature "
            f"{counts(rules['temperatures'])}; stage moves {counts(rules['stage_moves'])}; "
            f"tasks created {counts(rules['tasks_created'])}"
        )
    for system, sla in data.get("sla", {}).items():
        lines.append(
            f"SLA on {system}: {percent(sla['compliance'])} of {number(sla['new_leads'])} new "
            f"leads answered in time; overdue tasks {counts(sla['overdue_tasks'])}"
        )
    for system, api in data.get("api", {}).items():
        lines.append(f"API calls on {system}: {number(api['calls'])}")
    return lines
