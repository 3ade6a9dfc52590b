"""`crmops demo`: the nightly job on the embedded sandbox, end to end, in well under a minute.

Starts both sandbox APIs in this process, creates crmops's fields (`crmops init`),
runs `crmops nightly` on them (sync, the SOP rules on both CRMs, reconcile, report)
and ends with the report's summary and the path of its HTML page. Its state store and
reports live in their own folder (`.crmops-demo/` by default), never in the user's
`.crmops/`; the demo's state store is started afresh each time, as the sandbox is.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from integrations.base import Connector
from sync import report_view
from sync.mapping import Side

DEFAULT_SEED = 7
DEFAULT_SIZE = 60
DEFAULT_DIR = Path(".crmops-demo")
SUMMARY_SECTIONS = ("objects", "rules", "sla")  # API calls by endpoint and review: in the page
# (command, what it shows); each must be a real command (tests run `--help` on them).
NEXT_STEPS: tuple[tuple[str, str], ...] = (
    (
        "crmops sandbox serve --size 60",
        "keep both APIs running; prints their URLs, CA file and credentials as one JSON line",
    ),
    (
        "crmops doctor",
        "check settings, connectivity, fields and API budget (export the serve line's "
        "values as CRMOPS_SALESFORCE__INSTANCE_URL, CRMOPS_SALESFORCE__SESSION_ID, "
        "CRMOPS_HUBSPOT__HOST, CRMOPS_HUBSPOT__ACCESS_TOKEN, CRMOPS_CA_BUNDLE)",
    ),
    ("crmops init", "create the custom fields and properties crmops writes"),
    ("crmops nightly", "the job this demo ran: lock, sync, rules, reconcile, report"),
    ("crmops reconcile", "compare both CRMs whole and report the drift; --apply repairs it"),
    ("crmops rules check", "validate the shipped SOP rules file (config/sop.yaml)"),
    (
        "crmops rules evaluate --input leads.json --now 2026-11-23T09:00:00-05:00",
        "score leads and list stage moves and follow-up tasks, offline",
    ),
    ("crmops schedule --cron", "ready schedules for the nightly job and the frequent rules job"),
)


def _connectors(running: Any) -> dict[Side, Connector]:
    """Both connectors on the running sandbox, reading its search index without lag."""
    from config.settings import HubSpotSettings, SalesforceAuth, SalesforceSettings, Settings
    from integrations import factory

    settings = Settings(
        salesforce=SalesforceSettings(
            auth=SalesforceAuth.SESSION,
            instance_url=running.salesforce_url,
            session_id=running.salesforce_session_id,
        ),
        hubspot=HubSpotSettings(
            access_token=running.hubspot_token, host=running.hubspot_url, search_lag_seconds=0
        ),
        ca_bundle=Path(running.ca_bundle),
    )
    return {"salesforce": factory.salesforce(settings), "hubspot": factory.hubspot(settings)}


def _fresh_store(folder: Path) -> Any:
    """The demo's own state store, emptied: the sandbox it describes is new each time."""
    from sync.store import StateStore

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for stale in folder.glob("state.db*"):
        stale.unlink()
    return StateStore(f"sqlite:///{(folder / 'state.db').resolve()}")


def run_demo(seed: int, size: int, folder: Path, say: Any) -> dict[str, Any]:
    """Sandbox up, fields provisioned, one nightly run; what the demo shows, as data."""
    from integrations.provisioning import HUBSPOT_PROPERTIES, SALESFORCE_FIELDS
    from sandbox.options import SandboxOptions
    from sandbox.runtime import Sandbox
    from sync.nightly import NightlyInputs, run_nightly

    started = time.monotonic()
    say(f"starting the Salesforce and HubSpot sandbox (seed {seed}, {size} people each)")
    with Sandbox(SandboxOptions(seed=seed, size=size, search_lag_seconds=0)) as running:
        counts = {
            "salesforce": dict(sorted(running.salesforce.describe().items())),
            "hubspot": dict(sorted(running.hubspot.describe().items())),
        }
        connectors = _connectors(running)
        say("crmops init: creating the fields and properties crmops writes")
        connectors["salesforce"].provision(SALESFORCE_FIELDS, False)
        connectors["hubspot"].provision(HUBSPOT_PROPERTIES, False)
        with _fresh_store(folder) as store:
            inputs = NightlyInputs(
                store, connectors, folder / "reports", datetime.now(UTC), progress=say
            )
            result = run_nightly(inputs)
    return {
        "seed": seed,
        "size": size,
        "counts": counts,
        "state_dir": str(folder.resolve()),
        "report": result.report.as_json(),
        "files": {kind: str(path) for kind, path in result.paths.items()},
        "seconds": round(time.monotonic() - started, 1),
        "next": [{"command": c, "purpose": p} for c, p in NEXT_STEPS],
    }


def _counts_table(seed: int, size: int, counts: dict[str, dict[str, int]]) -> Table:
    table = Table(title=f"Sandbox contents (seed {seed}, size {size})")
    table.add_column("System")
    table.add_column("Object")
    table.add_column("Records", justify="right")
    for system, objects in counts.items():
        for index, (name, count) in enumerate(objects.items()):
            table.add_row(system if index == 0 else "", name, f"{count:,}")
        table.add_section()
    return table


def _print(shown: dict[str, Any]) -> None:
    console = Console()
    console.print(_counts_table(shown["seed"], shown["size"], shown["counts"]))
    data = shown["report"]
    brief = {**data, "review": [], "rejections": data["rejections"][:20]}
    console.print(report_view.table(brief, only=SUMMARY_SECTIONS))
    console.print("[bold]Summary[/bold]")
    for line in report_view.summary_lines(data):
        console.print(f"  {line}", highlight=False)
    if data["review_total"]:
        console.print(f"  {data['review_total']:,} items for review are listed in the report.")
    console.print(f"\n[bold]HTML report:[/bold] {shown['files']['html']}", highlight=False)
    console.print(f"(JSON: {shown['files']['json']}; took {shown['seconds']} s)", highlight=False)
    console.print("\n[bold]Try next[/bold]")
    for command, purpose in NEXT_STEPS:
        console.print(f"  [cyan]{command}[/cyan]\n      {purpose}", highlight=False)


def demo(
    seed: Annotated[int, typer.Option(help="Seed for the generated data.")] = DEFAULT_SEED,
    size: Annotated[
        int, typer.Option(min=0, help="People per system in the seed data.")
    ] = DEFAULT_SIZE,
    folder: Annotated[
        Path, typer.Option("--dir", help="Where the demo keeps its state store and reports.")
    ] = DEFAULT_DIR,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Start the local Salesforce and HubSpot sandbox and run the nightly job on it.

    crmops init, then sync, the SOP rules on both CRMs, reconcile and the report; ends
    with the report's summary and the path of its HTML page. Nothing leaves this
    machine, and your own .crmops/ state is never touched.
    """
    progress = Console(stderr=True)

    def say(text: str) -> None:
        if not as_json:
            progress.print(f"[dim]...[/dim] {text}", highlight=False)

    shown = run_demo(seed, size, folder, say)
    if as_json:
        typer.echo(json.dumps(shown))
        return
    _print(shown)


def register(app: typer.Typer) -> None:
    """Add `demo` to the root app."""
    app.command("demo")(demo)
