"""`crmops rules run`, `crmops rules explain` and `crmops watch`: the rules against the CRMs."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from commands import exit_codes
from commands.connectors import Crm, load_settings
from commands.rules import RulesOption, rules_app
from commands.rules_output import print_result, progress_hooks
from config.settings import Settings, SettingsError
from config.yamlfile import ConfigFileError
from integrations.base import Connector, System
from integrations.errors import AuthError, BudgetExhausted, CrmError, RetryableError
from integrations.factory import connect
from sync.rules_explain import RecordNotFound, explain_record
from sync.rules_report import RulesRunResult
from sync.rules_watch import parse_interval, watch
from sync.rulesjob import RulesContext, run_rules, systems_of
from sync.store import StateStore
from sync.store_types import StoreBoundElsewhere, StoreError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def open_context(
    settings: Settings, rules_file: Path | None, systems: list[System], dry_run: bool = False
) -> RulesContext:
    """Rules, mapping, state store (bound to the org/portal) and connectors for a rules job.

    A dry run checks the binding but does not write it.
    """
    connectors: dict[System, Connector] = {s: connect(settings, s) for s in systems}
    store = StateStore(settings.state_url)
    try:
        context = RulesContext.open(
            connectors, store, rules_file or settings.rules_file, settings.mapping_file
        )
        org = connectors["salesforce"].identity() if "salesforce" in connectors else None
        portal = connectors["hubspot"].identity() if "hubspot" in connectors else None
        if dry_run:
            _check_binding(store, org, portal)
        else:
            store.bind(org, portal)
    except BaseException:
        store.close()
        raise
    return context


def _check_binding(store: StateStore, org: str | None, portal: str | None) -> None:
    bound = store.binding()
    for what, have, given in (
        ("Salesforce org", bound[0], org),
        ("HubSpot portal", bound[1], portal),
    ):
        if have is not None and given is not None and have != given:
            raise StoreBoundElsewhere(what, have, given)


@contextlib.contextmanager
def _context(rules_file: Path | None, crm: str, dry_run: bool = False) -> Iterator[RulesContext]:
    """The context, with config and CRM failures turned into exit codes 2 and 3."""
    settings, problem = load_settings()
    if settings is None:
        raise _fail(f"crmops: {problem}", exit_codes.BAD_INPUT)
    context = None
    try:
        context = open_context(settings, rules_file, systems_of(crm), dry_run)
        yield context
    except (ConfigFileError, SettingsError, StoreError) as bad:
        raise _fail(f"crmops: {bad}", exit_codes.BAD_INPUT) from None
    except (RetryableError, BudgetExhausted) as down:
        raise _fail(f"crmops: {down}", exit_codes.CRM_UNAVAILABLE) from None
    except AuthError as refused:
        raise _fail(f"crmops: {refused}", exit_codes.BAD_INPUT) from None
    except CrmError as failed:
        hint = " (run `crmops init` if crmops fields are missing)"
        raise _fail(f"crmops: {failed}{hint}", exit_codes.CRM_UNAVAILABLE) from None
    finally:
        if context is not None:
            context.store.close()


CrmChoice = Annotated[Crm, typer.Option("--crm", help="salesforce, hubspot or both.")]


@rules_app.command("run")
def run(
    crm: CrmChoice = Crm.BOTH,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan; write nothing anywhere.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Read every record, not only those changed since.")
    ] = False,
    rules_file: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Score, move and follow up the leads and opportunities changed since the last run."""
    console = Console(stderr=True)
    shown = console if console.is_terminal and not as_json else None
    with _context(rules_file, crm.value, dry_run) as context, progress_hooks(shown) as hooks:
        result = run_rules(context, crm.value, dry_run, datetime.now(UTC), full=full, hooks=hooks)
    print_result(result, as_json)
    raise typer.Exit(result.exit_code)


@rules_app.command("explain")
def explain_command(
    record_id: Annotated[str, typer.Argument(help="The lead/contact or opportunity/deal id.")],
    crm: Annotated[Crm, typer.Option("--crm", help="salesforce or hubspot.")],
    rules_file: RulesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Why a record has its score, and what the rules would still do to it (reads only)."""
    if crm is Crm.BOTH:
        raise _fail("--crm: name one CRM (salesforce or hubspot)", exit_codes.BAD_INPUT)
    system: System = "salesforce" if crm is Crm.SALESFORCE else "hubspot"
    with _context(rules_file, crm.value, dry_run=True) as context:
        try:
            found = explain_record(context, system, record_id, datetime.now(UTC))
        except RecordNotFound as missing:
            raise _fail(f"crmops: {missing}", exit_codes.BAD_INPUT) from None
    if as_json:
        typer.echo(json.dumps(found.as_json(), indent=2, default=str))
    else:
        typer.echo(found.text)


def _on_pass(number: int, outcome: RulesRunResult | Exception) -> None:
    if isinstance(outcome, Exception):
        typer.echo(f"pass {number}: skipped, a CRM did not answer: {outcome}", err=True)
        return
    s = outcome.summary
    calls = ", ".join(f"{system} {sum(c.values())}" for system, c in outcome.calls.items())
    typer.echo(
        f"pass {number} (run {outcome.run_id}): {s['leads']} leads, {s['opportunities']} "
        f"opportunities read; {s['fields_written']} fields, {s['tasks_total']} tasks written; "
        f"{s['rejected']} rejected; API calls {calls}"
    )


@contextlib.contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask the loop to stop after the pass in flight."""
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.getsignal(s) for s in handled}
    for sig in handled:
        signal.signal(sig, lambda *_: stop.set())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def watch_command(
    every: Annotated[
        str, typer.Option("--every", help="Pause between passes: 2m, 30s, 1h.")
    ] = "2m",
    crm: CrmChoice = Crm.BOTH,
    max_passes: Annotated[
        int | None, typer.Option("--max-passes", min=1, help="Stop after this many passes.")
    ] = None,
    rules_file: RulesOption = None,
) -> None:
    """Run the incremental rules job in a loop (for the minute-level SLAs); Ctrl-C stops it."""
    try:
        seconds = parse_interval(every)
    except ValueError as bad:
        raise _fail(f"--every: {bad}", exit_codes.BAD_INPUT) from None
    stop = threading.Event()
    with _context(rules_file, crm.value) as context, _stop_on_signals(stop):
        passes = watch(context, crm.value, seconds, stop, _on_pass, max_passes=max_passes)
    typer.echo(f"watch stopped after {passes} pass(es)", err=True)


def register(app: typer.Typer) -> None:
    """Add `watch` to the root app (`rules run` and `rules explain` join the rules group)."""
    app.command("watch")(watch_command)
