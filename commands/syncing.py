"""`crmops sync`, `apply`, `runs list|show` and `undo`: build, call one function in sync/, print."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from commands import exit_codes
from config.settings import Settings, SettingsError
from config.yamlfile import ConfigFileError
from integrations.base import Connector
from integrations.errors import BudgetExhausted, CrmError, RetryableError
from integrations.factory import connect
from sync.job import PAIRS
from sync.mapping import Side
from sync.plan import PlanFormatError
from sync.store import StateStore
from sync.store_types import StoreBoundElsewhere

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]
runs_app = typer.Typer(name="runs", help="History of crmops runs.", no_args_is_help=True)
T = TypeVar("T")


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"crmops: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the errors a run can end with into messages and exit codes."""
    try:
        yield
    except (ConfigFileError, SettingsError, StoreBoundElsewhere, PlanFormatError) as problem:
        raise _fail(str(problem), exit_codes.BAD_INPUT) from None
    except ValidationError as problem:
        raise _fail(str(problem), exit_codes.BAD_INPUT) from None
    except ValueError as problem:  # an expired plan, a bad --objects list
        raise _fail(str(problem), exit_codes.BAD_INPUT) from None
    except (RetryableError, BudgetExhausted) as problem:
        raise _fail(str(problem), exit_codes.CRM_UNAVAILABLE) from None
    except CrmError as problem:
        code = exit_codes.CRM_UNAVAILABLE if problem.status in (None, 401, 403) else 2
        raise _fail(str(problem), code) from None


def _open() -> tuple[StateStore, dict[Side, Connector], Settings]:
    settings = Settings()
    connectors: dict[Side, Connector] = {
        "salesforce": connect(settings, "salesforce"),
        "hubspot": connect(settings, "hubspot"),
    }
    return StateStore(settings.state_url), connectors, settings


def _progress(message: str) -> Callable[[Callable[[], T]], T]:
    """Run work under a spinner when stdout is a terminal; plain otherwise."""

    def run(work: Callable[[], T]) -> T:
        if not sys.stdout.isatty():
            return work()
        with Console().status(message):
            return work()

    return run


def _print_calls(calls: dict[str, dict[str, int]]) -> None:
    totals = ", ".join(f"{system} {sum(c.values())}" for system, c in calls.items())
    typer.echo(f"API calls: {totals}")


def _pairs(objects: str | None) -> list[str]:
    chosen = [o.strip() for o in (objects or ",".join(PAIRS)).split(",") if o.strip()]
    unknown = [o for o in chosen if o not in PAIRS]
    if unknown:
        raise ValueError(
            f"--objects: unknown {', '.join(unknown)} (choose from {', '.join(PAIRS)})"
        )
    return chosen


def _print_report(report: Any, as_json: bool, dry_run: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2, default=str))
        return
    console = Console(width=160)
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
        for item in t.rejected:
            console.print(
                f"  rejected {item['system']} {item['object']} {item['record_id']}: "
                f"{item['reason']}",
                markup=False,
            )
    _print_calls(report.calls)


def sync(
    objects: Annotated[
        str | None, typer.Option("--objects", help="Pairs to sync: person,company,deal.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; write nothing.")
    ] = False,
    plan_out: Annotated[
        Path | None, typer.Option("--plan-out", help="Save the plan to apply later.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Sync changes since the last run between Salesforce and HubSpot (plan, then apply)."""
    from sync.runs import sync_run

    with _errors():
        pairs = _pairs(objects)
        store, connectors, settings = _open()
        with store:
            report = _progress("syncing")(
                lambda: sync_run(
                    store,
                    connectors,
                    datetime.now(UTC),
                    pairs=pairs,
                    dry_run=dry_run,
                    plan_out=plan_out,
                    mapping_file=settings.mapping_file,
                    rules_file=settings.rules_file,
                )
            )
    _print_report(report, as_json, dry_run)
    raise typer.Exit(report.exit_code)


def apply(
    plan: Annotated[Path, typer.Argument(help="A plan saved by crmops sync --plan-out.")],
    as_json: JsonOption = False,
) -> None:
    """Apply a saved plan exactly (records changed since are re-planned; expired plans refused)."""
    from sync.runs import apply_saved

    with _errors():
        if not plan.exists():
            raise ValueError(f"{plan}: no such plan file")
        store, connectors, settings = _open()
        with store:
            report = _progress("applying")(
                lambda: apply_saved(
                    store,
                    connectors,
                    plan,
                    datetime.now(UTC),
                    mapping_file=settings.mapping_file,
                    rules_file=settings.rules_file,
                )
            )
    _print_report(report, as_json, False)
    raise typer.Exit(report.exit_code)


def undo(
    run: Annotated[int, typer.Argument(help="The run to reverse (see crmops runs list).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be undone.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Reverse what a run wrote on both sides; fields changed since are skipped and listed."""
    from sync.runs import undo_saved

    with _errors():
        store, connectors, settings = _open()
        with store:
            if store.run(run) is None:
                raise ValueError(f"no run {run}")
            report, calls = undo_saved(
                store,
                connectors,
                run,
                dry_run,
                datetime.now(UTC),
                mapping_file=settings.mapping_file,
                rules_file=settings.rules_file,
            )
    if as_json:
        body = {**report.__dict__, "api_calls": {s: sum(c.values()) for s, c in calls.items()}}
        typer.echo(json.dumps(body, indent=2, default=str))
    else:
        verb = "would restore" if dry_run else "restored"
        for r in report.restored:
            typer.echo(
                f"{verb} {r['system']} {r['object']} {r['record_id']} {r['field']} = {r['value']!r}"
            )
        for s in report.skipped:
            typer.echo(
                f"skipped {s['system']} {s['object']} {s['record_id']} {s['field']}: "
                f"{s['why']} (now {s['now']!r})"
            )
        for c in report.created:
            typer.echo(
                f"created by the run, left in place: {c['system']} {c['object']} {c['record_id']}"
            )
        for key in report.tasks_closed:
            typer.echo(f"{'would close' if dry_run else 'closed'} task {key}")
        _print_calls(calls)
    raise typer.Exit(exit_codes.RECORDS_REJECTED if report.failed else exit_codes.OK)


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The latest runs: id, kind, start, status, exit code, API calls per system."""
    with _errors(), StateStore(Settings().state_url) as store:
        runs = store.runs(limit)
    if as_json:
        typer.echo(json.dumps([_run_json(r) for r in runs], indent=2, default=str))
        return
    table = Table(title="crmops runs")
    for column in ("run", "kind", "started", "status", "exit", "API calls"):
        table.add_column(column)
    for r in runs:
        calls = ", ".join(f"{s} {sum(c.values())}" for s, c in r.calls.items())
        table.add_row(
            str(r.id),
            r.kind,
            r.started.isoformat(timespec="seconds"),
            r.status,
            str(r.exit_code),
            calls,
        )
    Console(width=160).print(table)


@runs_app.command("show")
def runs_show(
    run: Annotated[int, typer.Argument(help="Run id.")], as_json: JsonOption = False
) -> None:
    """One run: its summary, API calls per endpoint, and its journal."""
    with _errors(), StateStore(Settings().state_url) as store:
        found = store.run(run)
        if found is None:
            raise ValueError(f"no run {run}")
        journal = store.journal_for_run(run)
    body = {
        **_run_json(found),
        "journal": [
            {
                "system": e.system,
                "object": e.object,
                "record_id": e.record_id,
                "field": e.field,
                "before": e.before,
                "after": e.after,
                "state": e.state,
                "error": e.error,
            }
            for e in journal
        ],
    }
    if as_json:
        typer.echo(json.dumps(body, indent=2, default=str))
        return
    console = Console(width=160)
    console.print(f"run {found.id} ({found.kind}): {found.status}, exit {found.exit_code}")
    for system, calls in found.calls.items():
        console.print(f"  {system}: {sum(calls.values())} calls " + json.dumps(calls))
    table = Table(title=f"journal of run {found.id}")
    for column in ("record", "field", "before -> after", "state"):
        table.add_column(column)
    for e in body["journal"]:
        table.add_row(
            f"{e['system']} {e['object']} {e['record_id']}",
            e["field"],
            f"{e['before']!r} -> {e['after']!r}",
            e["state"],
        )
    console.print(table)


def _run_json(r: Any) -> dict[str, Any]:
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


def register(app: typer.Typer) -> None:
    """Add sync, apply, undo and runs to the root app."""
    app.command("sync")(sync)
    app.command("apply")(apply)
    app.command("undo")(undo)
    app.add_typer(runs_app, name="runs")
