"""The report of a reconcile or nightly run: per-object sync figures, API calls, SLA compliance.

Public API: `Report` (with `ObjectTally`, `Rejection`, `ApiTally`, `SlaTally`,
`RulesTally`), `Report.as_json()`, `save(report, reports_dir, store)` which writes the
JSON and the static HTML page and indexes both for retention, `close_run` (save and
finish the run record) and `exit_code_for(error)`.

The JSON form is the one truth: the terminal tables (`sync.report_view.table`,
`summary_lines`) and the HTML page (`sync.report_html`) are both drawn from it, so
they always show the same numbers. No credentials ever enter a report;
record ids, owner emails and reasons do (personal data: reports are purged with the
journal, see `crmops purge`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from integrations.errors import AuthError, CrmError
from sync import report_html

SYSTEMS = ("salesforce", "hubspot")
REPORT_FORMAT = 1
REVIEW_SHOWN = 200  # review items listed in a report; the rest are counted only
ARTIFACT_KIND = "report"
BAD_CONFIG, CRM_UNAVAILABLE = 2, 3


def exit_code_for(error: BaseException) -> int:
    """A failed run's exit code: 3 a CRM unreachable or out of budget, else 2 (config).

    Refused credentials are configuration (2), like a bad settings or mapping file; an
    error that carries its own `exit_code` (a lock held elsewhere) says it itself.
    """
    own = getattr(error, "exit_code", None)
    if isinstance(own, int):
        return own
    if isinstance(error, CrmError) and not isinstance(error, AuthError):
        return CRM_UNAVAILABLE
    return BAD_CONFIG


def _per_system() -> dict[str, int]:
    return dict.fromkeys(SYSTEMS, 0)


@dataclass
class ObjectTally:
    """One object pair's figures: what matched, agreed, changed, and what a person must see."""

    matched: int = 0
    in_sync: int = 0
    updated: dict[str, int] = field(default_factory=_per_system)  # records written, by target
    created: dict[str, int] = field(default_factory=_per_system)  # records created, by target
    only_in: dict[str, int] = field(default_factory=_per_system)  # records without a partner
    conflicts: int = 0  # fields changed on both sides (decided by policy) + conflict reviews
    duplicates: int = 0
    fuzzy: int = 0
    rejected: int = 0
    associations: int = 0  # company associations HubSpot lacks (planned; made when applied)

    def add(self, more: ObjectTally) -> None:
        """Add another tally's figures to this one (e.g. the sync's and the reconcile's)."""
        counts = ("matched", "in_sync", "conflicts", "duplicates", "fuzzy", "rejected")
        for name in (*counts, "associations"):
            setattr(self, name, getattr(self, name) + getattr(more, name))
        for name in ("updated", "created", "only_in"):
            mine = getattr(self, name)
            for system, count in getattr(more, name).items():
                mine[system] = mine.get(system, 0) + count


@dataclass(frozen=True)
class Rejection:
    """A record a CRM refused, and why."""

    system: str
    object: str
    record_id: str
    reason: str


@dataclass
class ApiTally:
    """API calls one system took in this run, and the CRM's own count of its budget."""

    calls: int = 0
    by_endpoint: dict[str, int] = field(default_factory=dict)
    limit: int | None = None
    remaining: int | None = None

    @classmethod
    def since(cls, usage: Any, before: Mapping[str, int] | None = None) -> ApiTally:
        """The calls of an `integrations.base.ApiUsage` (read by attribute) since `before`.

        Args:
            usage: the connector's usage now.
            before: its calls per endpoint when the run started (None: count them all).
        """
        start = before or {}
        calls = {str(k): int(v) - start.get(k, 0) for k, v in dict(usage.calls).items()}
        calls = {k: v for k, v in calls.items() if v > 0}
        return cls(sum(calls.values()), calls, usage.limit, usage.remaining)


@dataclass
class SlaTally:
    """First-response SLA compliance of new leads in one CRM, and overdue tasks per owner.

    `compliance` is answered-in-time over every lead whose SLA has ended (answered in
    time, answered late, or still unanswered past due); leads still inside their SLA
    are `pending` and left out.
    """

    window_days: int = 30
    new_leads: int = 0
    in_time: int = 0
    late: int = 0
    missed: int = 0
    pending: int = 0
    overdue_tasks: dict[str, int] = field(default_factory=dict)

    @property
    def compliance(self) -> float | None:
        """Share answered within the SLA (0..1), None when no SLA has ended yet."""
        ended = self.in_time + self.late + self.missed
        return self.in_time / ended if ended else None


@dataclass
class RulesTally:
    """What the rules run did in one CRM: bands, stage moves, tasks by rule, refusals."""

    leads: int = 0
    temperatures: dict[str, int] = field(default_factory=dict)
    stage_moves: dict[str, int] = field(default_factory=dict)  # "new -> contacted": count
    tasks_created: dict[str, int] = field(default_factory=dict)  # rule: count
    fields_written: int = 0
    rejected: int = 0


@dataclass
class Report:
    """Everything a reconcile or nightly run reports."""

    kind: str
    generated_at: datetime
    applied: bool = False
    run_id: int | None = None
    status: str = "ok"
    exit_code: int = 0
    objects: dict[str, ObjectTally] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    review: list[dict[str, Any]] = field(default_factory=list)
    api: dict[str, ApiTally] = field(default_factory=dict)
    sla: dict[str, SlaTally] = field(default_factory=dict)
    rules: dict[str, RulesTally] = field(default_factory=dict)
    deletions: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def tally(self, pair: str) -> ObjectTally:
        """The figures of one pair, created on first use."""
        return self.objects.setdefault(pair, ObjectTally())

    def as_json(self) -> dict[str, Any]:
        """The report as plain JSON data (the saved file's content)."""
        sla = {s: {**asdict(t), "compliance": t.compliance} for s, t in self.sla.items()}
        return {
            "format": REPORT_FORMAT,
            "kind": self.kind,
            "generated_at": self.generated_at.astimezone(UTC).isoformat(),
            "applied": self.applied,
            "run_id": self.run_id,
            "status": self.status,
            "exit_code": self.exit_code,
            "objects": {name: asdict(t) for name, t in self.objects.items()},
            "rejections": [asdict(r) for r in self.rejections],
            "review": self.review[:REVIEW_SHOWN],
            "review_total": len(self.review),
            "api": {s: asdict(t) for s, t in self.api.items()},
            "sla": sla,
            "rules": {s: asdict(t) for s, t in self.rules.items()},
            "deletions": dict(self.deletions),
            "notes": list(self.notes),
        }


class RunStore(Protocol):
    """What saving a report needs of the state store."""

    def add_artifact(self, kind: str, path: str, run_id: int | None = None) -> int:
        """Index a saved file so retention deletes it in time."""
        ...

    def finish_run(
        self,
        run_id: int,
        status: str,
        exit_code: int,
        calls: Mapping[str, Mapping[str, int]] | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> None:
        """Record how a run ended."""
        ...


def save(
    report: Report, reports_dir: Path, store: RunStore | None = None, html: Path | None = None
) -> dict[str, Path]:
    """Write the report as JSON and as a static HTML page; index both for retention.

    The directory is made owner-only (reports name people); files are written whole
    and renamed into place, so a reader never sees half a report.

    Args:
        report: the report.
        reports_dir: where reports go (`settings.reports_dir`).
        store: indexes the files for `crmops purge`; None indexes nothing.
        html: write the page here instead (the JSON goes beside it, `.json`).

    Returns:
        {"json": path, "html": path}.
    """
    stamp = report.generated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    stem = f"{report.kind}-{stamp}" + (f"-run{report.run_id}" if report.run_id else "")
    page = html if html is not None else reports_dir / f"{stem}.html"
    page.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = report.as_json()
    texts = {"json": json.dumps(data, indent=2) + "\n", "html": report_html.render(data)}
    paths: dict[str, Path] = {}
    for suffix, text in texts.items():
        path = page.with_suffix(f".{suffix}").resolve()
        _write_private(path, text)
        if store is not None:
            store.add_artifact(ARTIFACT_KIND, str(path), report.run_id)
        paths[suffix] = path
    return paths


def close_run(
    store: RunStore, report: Report, reports_dir: Path, html: Path | None = None
) -> dict[str, Path]:
    """Save the report and finish its run.

    The run record keeps the calls per endpoint and the report's figures (without the
    record-level lists, which live in the report files and the review queue).
    """
    paths = save(report, reports_dir, store, html)
    if report.run_id is not None:
        calls = {system: tally.by_endpoint for system, tally in report.api.items()}
        figures = report.as_json()
        summary = {k: v for k, v in figures.items() if k not in ("review", "rejections")}
        store.finish_run(report.run_id, report.status, report.exit_code, calls, summary)
    return paths


def _write_private(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    partial.replace(path)
