"""The crmops command line: parse, build settings and clients, call one function, print."""

from __future__ import annotations

import typer

from commands import connectors, demo, jobs, rules, rules_live, sandbox, sync, syncing

app = typer.Typer(
    name="crmops",
    help=(
        "Apply your lead-handling SOP to Salesforce and HubSpot, and keep the two in sync.\n\n"
        "Settings come from CRMOPS_* environment variables or a .env file "
        "(see README). Exit codes: 0 ok, 1 finished but some records were rejected, "
        "2 bad input or configuration, 3 a CRM could not be reached or is out of API budget."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_show_locals=False,
)

for area in (demo, sandbox, connectors, rules, rules_live, sync, syncing, jobs):
    area.register(app)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
