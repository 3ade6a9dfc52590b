"""How sync, apply, undo and runs print: rich tables for people, JSON for machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from sync.runs import RunReport
from sync.store_types import JournalEntry, Run
from sync.undo import UndoReport

WIDTH = 160


def print_calls(calls: dict[str, dict[str, int]]) -> None:
    """The API calls a run used, per system."""
    totals = ", ".join(f"{system} {sum(c.values())}" for system, c in calls.items())
    typer.echo(f"API calls: {totals}")


def print_report(report: RunReport, as_json: bool, dry_run: bool) -> None:
    """A sync or apply run: the plan, what was written or rejected, and the API calls."""
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2, default=str))
        return
    console = Console(width=WIDTH)
    console.print(report.plan.table())
    for line in report.plan.lines()[len(report.plan.rows()) :]:
        console.print(line, highlight=False, markup=False)
    summary = report.plan.summary()
    console.print(
        f"plan: {summary.get('updates', 0)} updates, {summary.get('creates', 0)} creates, "
        f"{summary.get('links', 0)} links, {summary.get('review', 0)} for review"
    )
    if report.plan_file:
        console.print(f"plan saved to {report.plan_file}")
    elif dry_run:
        console.print("dry run: nothing was written")
    if report.tally is not None:
        t = report.tally
        console.print(
            f"run {report.run_id}: fields written {t.fields_written}, created {t.created}, "
            f"re-planned {t.replanned}, rejected {len(t.rejected)}"
        )
        for item in t.linked:
            where = f"{item['system']} {item['object']} {item['record_id']}"
            source = " ".join(item["source"])
            console.print(f"  linked {where} to {source}: not created, already held", markup=False)
        for item in t.rejected:
            where = f"{item['system']} {item['object']} {item['record_id']}"
            console.print(f"  rejected {where}: {item['reason']}", markup=False)
    print_calls(report.calls)


def print_undo(
    report: UndoReport, calls: dict[str, dict[str, int]], dry_run: bool, as_json: bool
) -> None:
    """What undo restored (or would), what it skipped and why, and the tasks it closed."""
    if as_json:
        body = {**report.__dict__, "api_calls": {s: sum(c.values()) for s, c in calls.items()}}
        typer.echo(json.dumps(body, indent=2, default=str))
        return
    verb = "would restore" if dry_run else "restored"
    for r in report.restored:
        where = f"{r['system']} {r['object']} {r['record_id']}"
        typer.echo(f"{verb} {where} {r['field']} = {r['value']!r}")
    for s in report.skipped:
        where = f"{s['system']} {s['object']} {s['record_id']}"
        typer.echo(f"skipped {where} {s['field']}: {s['why']} (now {s['now']!r})")
    for c in report.created:
        typer.echo(
            f"created by the run, left in place: {c['system']} {c['object']} {c['record_id']}"
        )
    for key in report.tasks_closed:
        typer.echo(f"{'would close' if dry_run else 'closed'} task {key}")
    for f in report.failed:
        typer.echo(f"failed {f['system']} {f['record_id']}: {f['why']}")
    print_calls(calls)


def run_json(r: Run) -> dict[str, Any]:
    """A run record as JSON."""
    return {
        "id": r.id,
        "kind": r.kind,
        "started": r.started,
        "finished": r.finished,
        "status": r.status,
        "exit_code": r.exit_code,
        "api_calls": {s: sum(c.values()) for s, c in r.calls.items()},
        "api_calls_by_endpoint": r.calls,
        "summary": r.summary,
    }


def print_runs(runs: Sequence[Run], as_json: bool) -> None:
    """The run history, newest first."""
    if as_json:
        typer.echo(json.dumps([run_json(r) for r in runs], indent=2, default=str))
        return
    table = Table(title="crmops runs")
    for column in ("run", "kind", "started", "status", "exit", "API calls"):
        table.add_column(column)
    for r in runs:
        calls = ", ".join(f"{s} {sum(c.values())}" for s, c in r.calls.items())
        started = r.started.isoformat(timespec="seconds")
        table.add_row(str(r.id), r.kind, started, r.status, str(r.exit_code), calls)
    Console(width=WIDTH).print(table)


def _journal_json(e: JournalEntry) -> dict[str, Any]:
    names = ("system", "object", "record_id", "field", "before", "after", "state", "error")
    return {name: getattr(e, name) for name in names}


def print_run(found: Run, journal: Sequence[JournalEntry], as_json: bool) -> None:
    """One run: status, API calls per endpoint, and its journal."""
    if as_json:
        body = {**run_json(found), "journal": [_journal_json(e) for e in journal]}
        typer.echo(json.dumps(body, indent=2, default=str))
        return
    console = Console(width=WIDTH)
    console.print(f"run {found.id} ({found.kind}): {found.status}, exit {found.exit_code}")
    for system, calls in found.calls.items():
        console.print(f"  {system}: {sum(calls.values())} calls " + json.dumps(calls))
    table = Table(title=f"journal of run {found.id}")
    for column in ("record", "field", "before -> after", "state"):
        table.add_column(column)
    for e in journal:
        record = f"{e.system} {e.object} {e.record_id}"
        table.add_row(record, e.field, f"{e.before!r} -> {e.after!r}", e.state)
    console.print(table)
