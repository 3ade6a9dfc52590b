"""`crmops reconcile`, `nightly`, `schedule` and `purge`: the jobs an operator schedules."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from commands import exit_codes
from commands.connectors import load_settings
from config.settings import Settings, SettingsError
from config.yamlfile import ConfigFileError
from integrations import factory
from integrations.base import Connector
from integrations.errors import CrmError
from sync import report_view
from sync.mapping import Side
from sync.report import exit_code_for
from sync.schedule import RENDERERS, ScheduleOptions
from sync.store import StateStore
from sync.store_types import StoreError

JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]
DURATION = re.compile(r"^\s*(\d+)\s*([dhw])\s*$")
UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}
CONFIG_ERRORS = (ConfigFileError, SettingsError, StoreError, ValueError)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _settings(command: str) -> Settings:
    settings, problem = load_settings()
    if settings is None:
        raise _fail(f"crmops {command}: {problem}", exit_codes.BAD_INPUT)
    return settings


def connect_both(settings: Settings) -> dict[Side, Connector]:
    """Connectors for both CRMs from settings (SettingsError names what is missing)."""
    return {system: factory.connect(settings, system) for system in ("salesforce", "hubspot")}


@contextmanager
def _errors(command: str) -> Iterator[None]:
    """Turn a job's failures into a message and the documented exit code."""
    try:
        yield
    except CrmError as error:
        raise _fail(f"crmops {command}: {error}", exit_code_for(error)) from None
    except CONFIG_ERRORS as error:
        raise _fail(f"crmops {command}: {error}", exit_codes.BAD_INPUT) from None


def show(data: dict[str, Any], paths: dict[str, Path], as_json: bool) -> None:
    """Print a saved report: JSON (with the files' paths) or the tables and where the page is."""
    if as_json:
        typer.echo(json.dumps({**data, "files": {k: str(p) for k, p in paths.items()}}, indent=2))
        return
    console = Console()
    console.print(report_view.table(data))
    console.print(f"Report: {paths['html']}  (JSON: {paths['json']})", highlight=False)


def _progress(as_json: bool) -> Callable[[str], None] | None:
    if as_json:
        return None
    console = Console(stderr=True)
    return lambda text: console.print(f"[dim]...[/dim] {text}", highlight=False)


def reconcile(
    apply: Annotated[
        bool, typer.Option("--apply", help="Repair the drift (journaled, undoable).")
    ] = False,
    report_file: Annotated[
        Path | None,
        typer.Option("--report", help="Also write the HTML report here (JSON beside it)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Read both CRMs whole, compare them through the mapping, and report the drift.

    Without --apply nothing is written to either CRM. Exit 1 when a repair was refused.
    """
    from sync.reconcile import reconcile_and_report

    settings = _settings("reconcile")
    with _errors("reconcile"), StateStore(settings.state_url) as store:
        connectors = connect_both(settings)
        report, paths = reconcile_and_report(
            store,
            connectors,
            datetime.now(UTC),
            apply=apply,
            files=(settings.reports_dir, report_file),
            config=(settings.mapping_file, settings.rules_file),
            progress=_progress(as_json),
        )
    show(report.as_json(), paths, as_json)
    raise typer.Exit(report.exit_code)


def nightly(as_json: JsonOption = False) -> None:
    """Lock, run the rules on both CRMs, sync, reconcile (repairing), sweep deletes, report.

    Exit 0 ok, 1 some records rejected, 2 configuration, 3 a CRM unreachable or out of
    budget, or another nightly run holds the lock (it says who and until when).
    """
    from sync.nightly import Locked, NightlyInputs, run_nightly

    settings = _settings("nightly")
    with _errors("nightly"), StateStore(settings.state_url) as store:
        inputs = NightlyInputs(
            store,
            connect_both(settings),
            settings.reports_dir,
            datetime.now(UTC),
            rules_file=settings.rules_file,
            mapping_file=settings.mapping_file,
            progress=_progress(as_json),
        )
        try:
            result = run_nightly(inputs)
        except Locked as locked:
            raise _fail(f"crmops nightly: {locked}", exit_codes.CRM_UNAVAILABLE) from None
    show(result.report.as_json(), result.paths, as_json)
    raise typer.Exit(result.exit_code)


def schedule(
    cron: Annotated[bool, typer.Option("--cron", help="A crontab fragment.")] = False,
    systemd: Annotated[bool, typer.Option("--systemd", help="systemd units and timer.")] = False,
    k8s: Annotated[bool, typer.Option("--k8s", help="Kubernetes CronJob and Deployment.")] = False,
    workdir: Annotated[str, typer.Option(help="Working directory of the jobs.")] = (
        ScheduleOptions.workdir
    ),
    env_file: Annotated[str, typer.Option(help="File of CRMOPS_* settings.")] = (
        ScheduleOptions.env_file
    ),
    crmops: Annotated[str, typer.Option(help="The crmops executable.")] = ScheduleOptions.crmops,
    at: Annotated[str, typer.Option("--at", help="Nightly time, HH:MM.")] = (
        ScheduleOptions.nightly_at
    ),
    every: Annotated[int, typer.Option(help="Rules job period, minutes.")] = (
        ScheduleOptions.every_minutes
    ),
) -> None:
    """Print ready definitions for the nightly job and the frequent rules job."""
    chosen = [name for name, on in (("cron", cron), ("systemd", systemd), ("k8s", k8s)) if on]
    if len(chosen) != 1:
        raise _fail("crmops schedule: choose one of --cron, --systemd, --k8s", exit_codes.BAD_INPUT)
    options = ScheduleOptions(workdir, env_file, crmops, at, every)
    try:
        options.check()
    except ValueError as problem:
        raise _fail(f"crmops schedule: {problem}", exit_codes.BAD_INPUT) from None
    typer.echo(RENDERERS[chosen[0]](options), nl=False)


def parse_age(text: str) -> timedelta:
    """`90d`, `12h` or `4w` as a timedelta.

    Raises:
        ValueError: anything else.
    """
    found = DURATION.match(text)
    if found is None:
        raise ValueError(f"--older-than {text!r}: expected a number and a unit, e.g. 90d, 12h, 4w")
    return int(found.group(1)) * UNITS[found.group(2)]


def purge(
    older_than: Annotated[
        str | None,
        typer.Option(help="Retention, e.g. 90d (default: CRMOPS_RETENTION_DAYS, 90 days)."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print counts as JSON.")] = False,
) -> None:
    """Delete journals, saved plans, reports and settled reviews past their retention."""
    settings = _settings("purge")
    try:
        age = parse_age(older_than) if older_than else timedelta(days=settings.retention_days)
    except ValueError as problem:
        raise _fail(f"crmops purge: {problem}", exit_codes.BAD_INPUT) from None
    with _errors("purge"), StateStore(settings.state_url) as store:
        counts = store.purge(age, datetime.now(UTC), dry_run=dry_run)
    if as_json:
        typer.echo(
            json.dumps(
                {"older_than_days": age / timedelta(days=1), "dry_run": dry_run, "counts": counts}
            )
        )
        return
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"crmops purge: {verb} what is older than {age.days} days:")
    for kind, count in counts.items():
        typer.echo(f"  {kind}: {count:,}")


def register(app: typer.Typer) -> None:
    """Add the job commands to the root app."""
    app.command("reconcile")(reconcile)
    app.command("nightly")(nightly)
    app.command("schedule")(schedule)
    app.command("purge")(purge)
