"""`crmops sandbox serve`: run both stand-in APIs on 127.0.0.1 for manual use."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

sandbox_app = typer.Typer(help="The local Salesforce and HubSpot stand-ins (HTTPS on 127.0.0.1).")


@sandbox_app.command("serve")
def serve(
    port: Annotated[
        int, typer.Option(help="Salesforce port; HubSpot takes the next one. 0 picks free ports.")
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed for the generated data.")] = 7,
    size: Annotated[int, typer.Option(help="People per system in the seed data.")] = 60,
    db: Annotated[Path | None, typer.Option(help="Keep the data in this SQLite file.")] = None,
    no_rate_limits: Annotated[
        bool, typer.Option("--no-rate-limits", help="Turn rate limits off.")
    ] = False,
    search_lag: Annotated[float, typer.Option(help="HubSpot search index lag, seconds.")] = 10.0,
) -> None:
    """Serve both APIs until interrupted; prints one JSON line with URLs, CA and credentials."""
    from sandbox.options import SandboxOptions
    from sandbox.runtime import Sandbox

    options = SandboxOptions(
        seed=seed,
        size=size,
        db_path=db,
        rate_limits=not no_rate_limits,
        search_lag_seconds=search_lag,
    )
    ports = (port, port + 1 if port else 0)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with Sandbox(options, salesforce_port=ports[0], hubspot_port=ports[1]) as running:
        print(json.dumps(running.connection_info()), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()


def register(app: typer.Typer) -> None:
    """Add `sandbox` to the root app."""
    app.add_typer(sandbox_app, name="sandbox")
