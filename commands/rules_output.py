"""How `crmops rules run` shows its result: a summary, the plan (dry run), the review list."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator

import typer
from rich.console import Console
from rich.progress import Progress, TaskID

from sync.rules_report import RulesRunResult
from sync.rulesjob import RulesHooks


@contextlib.contextmanager
def progress_hooks(console: Console | None) -> Iterator[RulesHooks | None]:
    """Hooks that draw a bar per CRM object while its writes go out (None: no terminal)."""
    if console is None:
        yield None
        return
    bars: dict[str, TaskID] = {}
    with Progress(console=console, transient=True) as progress:

        def read(label: str, done: int, total: int) -> None:
            bars[label] = progress.add_task(f"{label}", total=max(total, 1), completed=0)

        def batch(system: str, object: str, size: int) -> None:
            bar = bars.get(f"{system} {object}")
            if bar is not None:
                progress.advance(bar, size)

        yield RulesHooks(after_batch=batch, progress=read)


def _counts(title: str, counts: dict[str, int]) -> str:
    body = ", ".join(f"{name} {n}" for name, n in counts.items()) or "none"
    return f"{title}: {body}"


def _summary_lines(result: RulesRunResult) -> list[str]:
    s = result.summary
    what = "Dry run (nothing written)" if result.dry_run else f"Rules run {result.run_id}"
    calls = ", ".join(f"{system} {sum(c.values())}" for system, c in result.calls.items())
    tasks = "Tasks to create" if result.dry_run else "Tasks created"
    return [
        f"{what}: {s['leads']} leads, {s['opportunities']} opportunities evaluated "
        f"({s['read_only']} read only)",
        _counts("Leads per temperature", s["temperature"]),
        _counts("Stage moves", s["stage_moves"]),
        _counts(f"{tasks} by rule", s["tasks"]),
        f"Fields changed: {s['fields_planned']} on {s['records_changed']} records "
        f"({s['fields_written']} written); open outreach tasks deferred: {s['tasks_deferred']}",
        f"API calls: {calls or 'none'}",
    ]


def _plan_lines(result: RulesRunResult) -> list[str]:
    lines = ["", "Field changes:" if result.changes else "Field changes: none"]
    lines += [
        f"  {c['system']} {c['object']} {c['record_id']} {c['field']}: "
        f"{c['before']!r} -> {c['after']!r}"
        for c in result.changes
    ]
    lines.append("Tasks:" if result.tasks else "Tasks: none")
    lines += [
        f"  {t['system']} {t['record_id']} {t['rule']}: {t['subject']} "
        f"(due {t['due']}, {t['priority']}, owner {t['owner_id']})  key {t['key']}"
        for t in result.tasks
    ]
    return lines


def _review_lines(result: RulesRunResult) -> list[str]:
    if not result.reviews:
        return ["", "Nothing for review."]
    lines = ["", f"For review ({len(result.reviews)}):"]
    for r in result.reviews:
        detail = r["detail"] or {}
        reason = detail.get("reason", "") if isinstance(detail, dict) else str(detail)
        extra = (
            {k: v for k, v in detail.items() if k != "reason"} if isinstance(detail, dict) else {}
        )
        lines.append(
            f"  {r['kind']:<16} {r['system']} {r['object']} {r['record_id']}: {reason} "
            f"{json.dumps(extra, default=str) if extra else ''}".rstrip()
        )
    return lines


def print_result(result: RulesRunResult, as_json: bool) -> None:
    """The run's summary, plan (dry run) and review list; JSON for machines."""
    if as_json:
        typer.echo(json.dumps(result.as_json(), indent=2, default=str))
        return
    lines = _summary_lines(result)
    if result.dry_run:
        lines += _plan_lines(result)
    lines += _review_lines(result)
    typer.echo("\n".join(lines))
