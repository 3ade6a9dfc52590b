"""`crmops demo`: start the sandbox in this process, show what is in it and what to try next."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

DEFAULT_SEED = 7
DEFAULT_SIZE = 60
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
    ("crmops rules check", "validate the shipped SOP rules file (config/sop.yaml)"),
    (
        "crmops rules evaluate --input leads.json --now 2026-11-23T09:00:00-05:00",
        "score leads and list stage moves and follow-up tasks, offline",
    ),
)


def sandbox_contents(seed: int, size: int) -> dict[str, Any]:
    """Start both sandbox APIs with seeded data, count records per object, stop them.

    Args:
        seed: the data seed.
        size: about how many people each system holds.

    Returns:
        `{"salesforce": {object: count}, "hubspot": {object: count}}`.
    """
    from sandbox.options import SandboxOptions
    from sandbox.runtime import Sandbox

    with Sandbox(SandboxOptions(seed=seed, size=size)) as running:
        return {
            "salesforce": dict(sorted(running.salesforce.describe().items())),
            "hubspot": dict(sorted(running.hubspot.describe().items())),
        }


def _print_table(seed: int, size: int, counts: dict[str, dict[str, int]]) -> None:
    console = Console()
    table = Table(title=f"Sandbox contents (seed {seed}, size {size})")
    table.add_column("System")
    table.add_column("Object")
    table.add_column("Records", justify="right")
    for system, objects in counts.items():
        for index, (name, count) in enumerate(objects.items()):
            table.add_row(system if index == 0 else "", name, f"{count:,}")
        table.add_section()
    console.print(table)
    console.print("[bold]Try next[/bold]")
    for command, purpose in NEXT_STEPS:
        console.print(f"  [cyan]{command}[/cyan]\n      {purpose}", highlight=False)


def demo(
    seed: Annotated[int, typer.Option(help="Seed for the generated data.")] = DEFAULT_SEED,
    size: Annotated[
        int, typer.Option(min=0, help="People per system in the seed data.")
    ] = DEFAULT_SIZE,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Start the local Salesforce and HubSpot sandbox, show what is in it and what to try next."""
    counts = sandbox_contents(seed, size)
    if as_json:
        steps = [{"command": c, "purpose": p} for c, p in NEXT_STEPS]
        typer.echo(json.dumps({"seed": seed, "size": size, "counts": counts, "next": steps}))
        return
    _print_table(seed, size, counts)


def register(app: typer.Typer) -> None:
    """Add `demo` to the root app."""
    app.command("demo")(demo)
