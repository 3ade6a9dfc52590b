"""`crmops sandbox serve`: run both stand-in APIs on 127.0.0.1 for manual use."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import threading
import types
import typing
from pathlib import Path
from typing import Annotated, Any

import typer

from sandbox.options import FaultOptions

sandbox_app = typer.Typer(help="The local Salesforce and HubSpot stand-ins (HTTPS on 127.0.0.1).")
_FAULT_HELP = (
    "A fault as NAME=VALUE (repeatable), e.g. rate_limit_fraction=0.1, "
    "lost_answer_fraction=0.05, session_expires_after_calls=50. Names: "
    + ", ".join(f.name for f in dataclasses.fields(FaultOptions))
    + "."
)


def _convert(name: str, kind: Any, text: str) -> Any:
    """`text` as the type of FaultOptions field `name` (`none` clears an optional count)."""
    if isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind):
        if text.strip().lower() in ("", "none", "null"):
            return None
        kind = next(k for k in typing.get_args(kind) if k is not type(None))
    try:
        return kind(text)
    except ValueError:
        raise typer.BadParameter(f"{name} needs a {kind.__name__}, got {text!r}") from None


def parse_faults(items: list[str]) -> dict[str, Any]:
    """`NAME=VALUE` strings as FaultOptions values, typed; unknown names are refused.

    Raises:
        typer.BadParameter: a malformed item, unknown name or a value of the wrong type.
    """
    kinds = typing.get_type_hints(FaultOptions)
    faults: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or name not in kinds:
            raise typer.BadParameter(
                f"{item!r}: expected NAME=VALUE with NAME a fault. {_FAULT_HELP}"
            )
        faults[name] = _convert(name, kinds[name], text.strip())
    return faults


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
    no_search_lag: Annotated[
        bool, typer.Option("--no-search-lag", help="Search sees writes at once (lag 0).")
    ] = False,
    latency_ms: Annotated[
        float, typer.Option(min=0, help="Latency added to every counted call, milliseconds.")
    ] = 0.0,
    fault: Annotated[list[str] | None, typer.Option(help=_FAULT_HELP)] = None,
    fault_seed: Annotated[int, typer.Option(help="Seed of the fault draws.")] = 0,
) -> None:
    """Serve both APIs until interrupted; prints one JSON line with URLs, CA and credentials."""
    from sandbox.options import SandboxOptions
    from sandbox.runtime import Sandbox

    faults = FaultOptions(seed=fault_seed, latency_ms=latency_ms)
    faults.update(parse_faults(fault or []))
    options = SandboxOptions(
        seed=seed,
        size=size,
        db_path=db,
        rate_limits=not no_rate_limits,
        search_lag_seconds=0.0 if no_search_lag else search_lag,
        faults=faults,
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
