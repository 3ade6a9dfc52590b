"""Retention: journals, saved plans, reports and settled reviews hold personal data; purge them.

Kept regardless of age: links, bases, cursors, task keys and tombstones (the
sync needs them to stay correct) and each run's kind, times, status, exit code
and call counts (history without personal data). A run's summary is cleared.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, Engine, and_, select

from sync import schema as t
from sync.database import chunks

Purge = Callable[[Connection, datetime], int]


def _journal(conn: Connection, cutoff: datetime) -> int:
    return conn.execute(t.journal.delete().where(t.journal.c.created < cutoff)).rowcount


def _reviews(conn: Connection, cutoff: datetime) -> int:
    settled = and_(t.reviews.c.resolved.is_not(None), t.reviews.c.resolved < cutoff)
    return conn.execute(t.reviews.delete().where(settled)).rowcount


def _run_summaries(conn: Connection, cutoff: datetime) -> int:
    old = and_(t.runs.c.started < cutoff, t.runs.c.summary.is_not(None))
    return conn.execute(t.runs.update().where(old).values(summary=None)).rowcount


def _intents(conn: Connection, cutoff: datetime) -> int:
    settled = and_(t.intents.c.resolved.is_not(None), t.intents.c.resolved < cutoff)
    return conn.execute(t.intents.delete().where(settled)).rowcount


def _artifacts(conn: Connection, cutoff: datetime, delete_files: bool = True) -> tuple[int, int]:
    """Delete indexed files past retention, then their index rows; (rows, files)."""
    old = conn.execute(
        select(t.artifacts.c.id, t.artifacts.c.path).where(t.artifacts.c.created < cutoff)
    ).all()
    files = 0
    for _, path in old:
        target = Path(path)
        if target.is_file():
            if delete_files:
                target.unlink()
            files += 1
    for part in chunks([row_id for row_id, _ in old]):
        conn.execute(t.artifacts.delete().where(t.artifacts.c.id.in_(part)))
    return len(old), files


def purge(
    engine: Engine, older_than: timedelta, now: datetime, dry_run: bool = False
) -> dict[str, int]:
    """Delete what is past retention, in one transaction; files first, then their rows.

    Args:
        engine: the state store's engine (`StateStore.purge` passes it).
        older_than: the retention period, e.g. `timedelta(days=90)`.
        now: the time to count back from (explicit, so a run is reproducible).
        dry_run: only count: the transaction is rolled back and no file is touched.

    Returns:
        Counts per kind: journal, reviews, run_summaries, intents, artifacts, files.
    """
    if older_than < timedelta(0):
        raise ValueError("a retention period cannot be negative")
    cutoff = now - older_than
    steps: dict[str, Purge] = {
        "journal": _journal,
        "reviews": _reviews,
        "run_summaries": _run_summaries,
        "intents": _intents,
    }
    with engine.connect() as conn, conn.begin() as transaction:
        counts = {name: step(conn, cutoff) for name, step in steps.items()}
        counts["artifacts"], counts["files"] = _artifacts(conn, cutoff, not dry_run)
        if dry_run:
            transaction.rollback()
    return counts
