"""Runs, the journal of field writes (before and after values), and the saved-file index."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, func, select

from sync import schema as t
from sync.database import chunks
from sync.store_base import StoreBase, bulk_write
from sync.store_types import JOURNAL_STATES, Artifact, JournalEntry, PlannedWrite, Run

RUNNING = "running"


def _run(row: Row[Any]) -> Run:
    values = dict(row._mapping)
    values["calls"] = values["calls"] or {}
    return Run(**values)


class RunsMixin(StoreBase):
    """Run history, the journal, and plans/reports kept for retention."""

    # --- runs --------------------------------------------------------------------

    def start_run(self, kind: str) -> int:
        """Record a run as started (status `running`); returns its id."""
        with self._write() as conn:
            result = conn.execute(
                t.runs.insert()
                .values(kind=kind, started=self._now(), status=RUNNING)
                .returning(t.runs.c.id)
            )
            return int(result.scalar_one())

    def finish_run(
        self,
        run_id: int,
        status: str,
        exit_code: int,
        calls: Mapping[str, Mapping[str, int]] | None = None,
        summary: Mapping[str, Any] | None = None,
    ) -> None:
        """Record how a run ended.

        Args:
            run_id: from `start_run`.
            status: e.g. ok, partial, failed, locked.
            exit_code: the process exit code (0, 1, 2, 3).
            calls: API calls per system, then per endpoint.
            summary: the report's figures; counts and reasons, never credentials.
        """
        values = {
            "finished": self._now(),
            "status": status,
            "exit_code": exit_code,
            "calls": {s: dict(c) for s, c in (calls or {}).items()},
            "summary": dict(summary) if summary is not None else None,
        }
        with self._write() as conn:
            done = conn.execute(t.runs.update().where(t.runs.c.id == run_id).values(**values))
            if done.rowcount != 1:
                raise KeyError(f"no run {run_id}")

    def runs(self, limit: int = 20, kind: str | None = None) -> list[Run]:
        """The latest runs, newest first."""
        stmt = select(t.runs).order_by(t.runs.c.id.desc()).limit(limit)
        if kind is not None:
            stmt = stmt.where(t.runs.c.kind == kind)
        with self._read() as conn:
            return [_run(row) for row in conn.execute(stmt)]

    def run(self, run_id: int) -> Run | None:
        """One run, or None if there is no such run."""
        with self._read() as conn:
            row = conn.execute(select(t.runs).where(t.runs.c.id == run_id)).first()
        return None if row is None else _run(row)

    # --- journal -----------------------------------------------------------------

    def journal_planned(self, run_id: int, entries: Sequence[PlannedWrite]) -> list[int]:
        """Journal writes before they are made (state `planned`); returns ids in input order.

        Sequence numbers continue the run's journal, so a resumed run appends.
        """
        if not entries:
            return []
        now = self._now()
        with self._write() as conn:
            last = conn.execute(
                select(func.max(t.journal.c.seq)).where(t.journal.c.run_id == run_id)
            ).scalar()
            start = (last or 0) + 1
            rows = [
                {
                    **entry.__dict__,
                    "run_id": run_id,
                    "seq": start + n,
                    "state": "planned",
                    "created": now,
                    "updated": now,
                }
                for n, entry in enumerate(entries)
            ]
            # Plain executemany, then ids by seq: RETURNING with guaranteed order
            # falls back to one statement per row on SQLite.
            bulk_write(conn, t.journal, t.journal.insert(), rows)
            ids = conn.execute(
                select(t.journal.c.id)
                .where(
                    t.journal.c.run_id == run_id,
                    t.journal.c.seq.between(start, start + len(rows) - 1),
                )
                .order_by(t.journal.c.seq)
            )
            return [int(i) for i in ids.scalars()]

    def journal_mark(
        self,
        ids: Sequence[int],
        state: str,
        error: str | None = None,
        record_ids: Mapping[int, str] | None = None,
    ) -> int:
        """Set the state of journal entries once the CRM answered; returns rows changed.

        Args:
            ids: journal entry ids from `journal_planned`.
            state: planned, written, failed, undone or skipped.
            error: the CRM's reason, for failed entries.
            record_ids: ids the CRM gave to created records, by journal id.
        """
        if state not in JOURNAL_STATES:
            raise ValueError(f"unknown journal state {state!r}")
        changed = 0
        now = self._now()
        with self._write() as conn:
            for part in chunks(list(ids)):
                changed += conn.execute(
                    t.journal.update()
                    .where(t.journal.c.id.in_(part))
                    .values(state=state, error=error, updated=now)
                ).rowcount
            if record_ids:
                conn.execute(
                    t.journal.update()
                    .where(t.journal.c.id == bindparam("jid"))
                    .values(record_id=bindparam("rid")),
                    [{"jid": j, "rid": r} for j, r in record_ids.items()],
                )
        return changed

    def journal_for_run(self, run_id: int, state: str | None = None) -> list[JournalEntry]:
        """A run's journal in write order, optionally only entries in one state."""
        stmt = select(t.journal).where(t.journal.c.run_id == run_id).order_by(t.journal.c.seq)
        if state is not None:
            stmt = stmt.where(t.journal.c.state == state)
        with self._read() as conn:
            return [_entry(row) for row in conn.execute(stmt)]

    def journal_after(
        self, run_id: int, system: str, object: str, record_ids: Sequence[str]
    ) -> list[JournalEntry]:
        """Written entries of later runs for these records: what undo must not overwrite."""
        found: list[JournalEntry] = []
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(record_ids))):
                stmt = (
                    select(t.journal)
                    .where(
                        t.journal.c.system == system,
                        t.journal.c.object == object,
                        t.journal.c.record_id.in_(part),
                        t.journal.c.run_id > run_id,
                        t.journal.c.state == "written",
                    )
                    .order_by(t.journal.c.run_id, t.journal.c.seq)
                )
                found.extend(_entry(row) for row in conn.execute(stmt))
        return found

    # --- saved plans and reports -------------------------------------------------

    def add_artifact(self, kind: str, path: str, run_id: int | None = None) -> int:
        """Index a saved plan or report file so retention deletes it in time."""
        with self._write() as conn:
            result = conn.execute(
                t.artifacts.insert()
                .values(kind=kind, path=path, run_id=run_id, created=self._now())
                .returning(t.artifacts.c.id)
            )
            return int(result.scalar_one())

    def artifacts(self, kind: str | None = None) -> list[Artifact]:
        """Indexed files, oldest first."""
        stmt = select(t.artifacts).order_by(t.artifacts.c.id)
        if kind is not None:
            stmt = stmt.where(t.artifacts.c.kind == kind)
        with self._read() as conn:
            return [Artifact(**row._mapping) for row in conn.execute(stmt)]


def _entry(row: Row[Any]) -> JournalEntry:
    values = dict(row._mapping)
    values.pop("created")
    return JournalEntry(**values)
