"""`crmops sync`, `apply`, `runs list|show` and `undo`: build, call one function in sync/, print."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from commands import exit_codes
from commands import sync_views as views
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


def _pairs(objects: str | None) -> list[str]:
    chosen = [o.strip() for o in (objects or ",".join(PAIRS)).split(",") if o.strip()]
    unknown = [o for o in chosen if o not in PAIRS]
    if unknown:
        raise ValueError(
            f"--objects: unknown {', '.join(unknown)} (choose from {', '.join(PAIRS)})"
        )
    return chosen


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
    views.print_report(report, as_json, dry_run)
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
    views.print_report(report, as_json, False)
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
    views.print_undo(report, calls, dry_run, as_json)
    raise typer.Exit(exit_codes.RECORDS_REJECTED if report.failed else exit_codes.OK)


@runs_app.command("list")
def runs_list(
    limit: Annotated[int, typer.Option(help="How many runs, newest first.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """The latest runs: id, kind, start, status, exit code, API calls per system."""
    with _errors(), StateStore(Settings().state_url) as store:
        runs = store.runs(limit)
    views.print_runs(runs, as_json)


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
    views.print_run(found, journal, as_json)


def register(app: typer.Typer) -> None:
    """Add sync, apply, undo and runs to the root app."""
    app.command("sync")(sync)
    app.command("apply")(apply)
    app.command("undo")(undo)
    app.add_typer(runs_app, name="runs")
