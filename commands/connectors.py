"""`crmops init` and `crmops doctor`: prepare and check the CRMs crmops talks to."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from commands import exit_codes
from config.settings import Settings, SettingsError
from integrations.base import System
from integrations.doctor import diagnose, provision_all
from integrations.doctor_checks import Report
from integrations.errors import BudgetExhausted, CrmError, RetryableError

STATUS_STYLE = {"ok": "green", "warn": "yellow", "error": "bold red"}


class Crm(StrEnum):
    """Which CRM a command works on."""

    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"
    BOTH = "both"


CrmOption = Annotated[Crm | None, typer.Option("--crm", help="salesforce, hubspot or both.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _systems(crm: Crm | None) -> list[System] | None:
    if crm is None:
        return None
    return ["salesforce", "hubspot"] if crm is Crm.BOTH else [crm.value]  # type: ignore[list-item]


def load_settings() -> tuple[Settings | None, str | None]:
    """Settings from the environment, or None and a message naming the bad variables."""
    try:
        return Settings(), None
    except SettingsError as problem:
        return None, str(problem)
    except ValidationError as problem:
        messages = []
        for item in problem.errors():
            where = ".".join(str(part) for part in item.get("loc", ()))
            text = str(item.get("msg", "")).removeprefix("Value error, ")
            messages.append(f"{where}: {text}" if where else text)
        return None, "; ".join(messages)


def print_report(report: Report, as_json: bool) -> None:
    """Doctor's findings as a table (or JSON)."""
    if as_json:
        typer.echo(json.dumps(report.as_json(), indent=2))
        return
    table = Table(title="crmops doctor")
    for column in ("system", "check", "status", "finding", "fix"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        status = f"[{STATUS_STYLE[f.status]}]{f.status}[/]"
        table.add_row(f.system, f.check, status, f.message, f.fix)
    Console(width=160).print(table)


def doctor(crm: CrmOption = None, as_json: JsonOption = False) -> None:
    """Check config, connectivity, org/portal ids, permissions, fields, picklists and budget."""
    settings, problem = load_settings()
    report = diagnose(settings, problem, systems=_systems(crm))
    print_report(report, as_json)
    if not as_json:
        typer.echo(api_calls_line(report.calls))
    raise typer.Exit(report.exit_code)


def api_calls_line(calls: dict[str, dict[str, int]]) -> str:
    """`API calls: salesforce 3 (GET /query 2, ...), hubspot 0` for the end of a command."""
    parts = []
    for system, endpoints in calls.items():
        detail = ", ".join(f"{e} {n}" for e, n in sorted(endpoints.items()))
        parts.append(f"{system} {sum(endpoints.values())}" + (f" ({detail})" if detail else ""))
    return "API calls: " + ("; ".join(parts) or "none")


def _init_failure(problem: Exception) -> typer.Exit:
    """Unreachable or out of budget exits 3; refused credentials and the rest exit 2."""
    unavailable = isinstance(problem, RetryableError | BudgetExhausted)
    typer.echo(f"crmops init: {problem}", err=True)
    return typer.Exit(exit_codes.CRM_UNAVAILABLE if unavailable else exit_codes.BAD_INPUT)


def init(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be created; change nothing.")
    ] = False,
    crm: CrmOption = Crm.BOTH,
    as_json: JsonOption = False,
) -> None:
    """Create the custom fields and properties crmops writes (idempotent; run twice is safe)."""
    settings, problem = load_settings()
    if settings is None:
        typer.echo(f"crmops init: {problem}", err=True)
        raise typer.Exit(exit_codes.BAD_INPUT)
    calls: dict[str, dict[str, int]] = {}
    try:
        done = provision_all(settings, _systems(crm) or [], dry_run, calls=calls)
    except (SettingsError, CrmError) as failure:
        typer.echo(api_calls_line(calls), err=True)
        raise _init_failure(failure) from None
    if as_json:
        body = {"dry_run": dry_run, "changes": done, "api_calls": calls}
        typer.echo(json.dumps(body, indent=2))
        return
    for system, lines in done.items():
        if not lines:
            typer.echo(f"{system}: nothing to do, every crmops field exists")
        for line in lines:
            typer.echo(f"{system}: {line}")
    typer.echo(api_calls_line(calls))


def register(app: typer.Typer) -> None:
    """Add `init` and `doctor` to the root app."""
    app.command("init")(init)
    app.command("doctor")(doctor)
