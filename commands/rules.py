"""The `crmops rules` commands: check a rules file and evaluate leads offline."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from commands import exit_codes
from config.yamlfile import ConfigFileError
from rules.compiler import Compiled
from rules.engine import compile_rules, evaluate_lead
from rules.explain import decision_to_dict
from rules.lead import CanonicalLead, RecordError
from rules.loader import DEFAULT_RULES, load_rules

rules_app = typer.Typer(
    name="rules",
    help="Check the SOP rules file and evaluate leads against it.",
    no_args_is_help=True,
)
RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="Rules file (default: the shipped config/sop.yaml).")
]


def _fail(message: str, code: int = exit_codes.BAD_INPUT) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code)


def _load(path: Path | None) -> Compiled:
    try:
        return compile_rules(load_rules(path))
    except ConfigFileError as exc:
        raise _fail(str(exc)) from None


@rules_app.command("check")
def check(
    file: Annotated[Path | None, typer.Argument(help="Rules file to validate.")] = None,
) -> None:
    """Validate a rules file; print OK or every problem as file:line: message (exit 2)."""
    try:
        load_rules(file)
    except ConfigFileError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"OK: {file or DEFAULT_RULES}")


def _read_leads(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(f"{path}: cannot read: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise _fail(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, list):
        raise _fail(f"{path}: expected a JSON array of leads")
    return data


def _parse_now(text: str) -> datetime:
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"--now: '{text}' is not an ISO 8601 datetime") from None
    if now.utcoffset() is None:
        raise _fail(f"--now: '{text}' needs a UTC offset (e.g. -04:00 or Z)")
    return now


def evaluate_records(
    compiled: Compiled, records: list[Any], now: datetime
) -> tuple[list[dict[str, Any]], list[str]]:
    """Evaluate raw lead mappings in order; bad ones become error objects and messages."""
    results: list[dict[str, Any]] = []
    errors: list[str] = []
    for index, raw in enumerate(records):
        try:
            lead = CanonicalLead.from_mapping(raw, compiled.extra_types["lead"])
        except RecordError as exc:
            record_id = raw.get("id") if isinstance(raw, dict) else None
            problems = [{"field": name, "message": message} for name, message in exc.problems]
            results.append({"index": index, "id": record_id, "errors": problems})
            errors += [f"record {index}: field {p['field']}: {p['message']}" for p in problems]
            continue
        results.append(decision_to_dict(evaluate_lead(compiled, lead, now)))
    return results, errors


def _table(results: list[dict[str, Any]]) -> Table:
    table = Table(title="SOP rules evaluation")
    for column in ("id", "score", "temperature", "stage", "tasks"):
        table.add_column(column)
    for row in results:
        if "errors" in row:
            table.add_row(str(row["id"]), "-", "-", "-", f"[red]bad record {row['index']}[/red]")
            continue
        stage = row["stage"]
        moved = stage["from"]
        if stage["to"] != stage["from"]:
            moved = f"{stage['from']} -> {stage['to']}"
        tasks = "\n".join(f"{t['rule']} due {t['due']} ({t['priority']})" for t in row["tasks"])
        table.add_row(row["id"], str(row["score"]), row["temperature"], str(moved), tasks or "-")
    return table


@rules_app.command("evaluate")
def evaluate(
    input_file: Annotated[Path, typer.Option("--input", help="JSON array of canonical leads.")],
    now: Annotated[str, typer.Option("--now", help="Evaluation time, ISO 8601 with offset.")],
    rules_file: RulesOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Evaluate canonical leads offline (no CRM): score, stage move and tasks per lead.

    Output has one entry per input, in order. A bad record is reported on stderr with its
    index and field (and in --json as {"index", "id", "errors"}); the others are still
    evaluated, and the exit code is 1.
    """
    compiled = _load(rules_file)
    moment = _parse_now(now)
    results, errors = evaluate_records(compiled, _read_leads(input_file), moment)
    if as_json:
        sys.stdout.write(json.dumps(results, indent=2) + "\n")
    else:
        Console().print(_table(results))
    for message in errors:
        typer.echo(message, err=True)
    if errors:
        raise typer.Exit(exit_codes.RECORDS_REJECTED)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    app.add_typer(rules_app, name="rules")
