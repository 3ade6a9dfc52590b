"""Task keys, create intents, tombstones and the review queue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Row, bindparam, select

from sync import schema as t
from sync.database import chunks
from sync.store_base import StoreBase, insert_new
from sync.store_entities import rekey_confirmed
from sync.store_types import (
    TASK_STATUSES,
    CreateIntent,
    TaskIntent,
    TaskKey,
    Tombstone,
)


def _task(row: Row[Any]) -> TaskKey:
    values = dict(row._mapping)
    values.pop("updated")
    return TaskKey(**values)


class TasksMixin(StoreBase):
    """What makes task creation and record creation idempotent, and what needs a person."""

    # --- task keys ---------------------------------------------------------------

    def task_keys_known(self, keys: Sequence[str]) -> dict[str, TaskKey]:
        """What the store knows of these task keys; unknown keys are left out."""
        found: dict[str, TaskKey] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(keys))):
                for row in conn.execute(select(t.task_keys).where(t.task_keys.c.key.in_(part))):
                    found[row.key] = _task(row)
        return found

    def record_task_intents(self, run_id: int | None, tasks: Sequence[TaskIntent]) -> list[str]:
        """Record tasks about to be created (status `intent`), before the CRM call.

        Keys already known are left untouched, so a rerun after a crash finds them.

        Returns:
            The keys newly recorded, in input order.
        """
        wanted = {task.key: task for task in tasks}
        now = self._now()
        rows = [
            {**task.__dict__, "status": "intent", "run_id": run_id, "task_id": None, "updated": now}
            for task in wanted.values()
        ]
        inserted: set[str] = set()
        with self._write() as conn:
            for part in chunks(rows, 2_000):
                inserted |= insert_new(conn, t.task_keys, "key", part)
        return [key for key in wanted if key in inserted]

    def mark_tasks_created(self, task_ids: Mapping[str, str]) -> None:
        """Record the CRM's task id for each key (status `created`).

        A key intended under a stable id merged away since (kept under its old text so
        the retry found the CRM's task) takes the kept id's key text now.
        """
        if not task_ids:
            return
        with self._write() as conn:
            conn.execute(
                t.task_keys.update()
                .where(t.task_keys.c.key == bindparam("k"))
                .values(task_id=bindparam("tid"), status="created", updated=self._now()),
                [{"k": k, "tid": v} for k, v in task_ids.items()],
            )
            rekey_confirmed(conn, list(task_ids))

    def mark_tasks_status(self, keys: Sequence[str], status: str) -> int:
        """Set the status of task keys (e.g. `deferred` for an opted-out lead's tasks)."""
        if status not in TASK_STATUSES:
            raise ValueError(f"unknown task status {status!r}")
        changed = 0
        with self._write() as conn:
            for part in chunks(list(keys)):
                changed += conn.execute(
                    t.task_keys.update()
                    .where(t.task_keys.c.key.in_(part))
                    .values(status=status, updated=self._now())
                ).rowcount
        return changed

    def open_outreach_tasks_for(self, stable_id: str) -> list[TaskKey]:
        """Outreach tasks crmops created for this entity that are still open."""
        return self.open_outreach_tasks([stable_id]).get(stable_id, [])

    def open_outreach_tasks(self, stable_ids: Sequence[str]) -> dict[str, list[TaskKey]]:
        """`open_outreach_tasks_for` over many entities: stable id -> tasks, by key."""
        found: dict[str, list[TaskKey]] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                stmt = (
                    select(t.task_keys)
                    .where(
                        t.task_keys.c.stable_id.in_(part),
                        t.task_keys.c.outreach.is_(True),
                        t.task_keys.c.status == "created",
                    )
                    .order_by(t.task_keys.c.key)
                )
                for row in conn.execute(stmt):
                    found.setdefault(row.stable_id, []).append(_task(row))
        return found

    def tasks_of_run(self, run_id: int) -> list[TaskKey]:
        """Tasks a run recorded (for undo: close the ones it created)."""
        stmt = select(t.task_keys).where(t.task_keys.c.run_id == run_id).order_by(t.task_keys.c.key)
        with self._read() as conn:
            return [_task(row) for row in conn.execute(stmt)]

    # --- create intents ------------------------------------------------------------

    def intent(self, system: str, object: str, key: str, run_id: int | None = None) -> CreateIntent:
        """Record that a create under `key` is about to be sent, or return the earlier record.

        A returned intent with a `record_id` was created already; one without was
        recorded before a crash: look the key up in the CRM before creating again.
        """
        return self.intents(system, object, [key], run_id)[key]

    def intents(
        self, system: str, object: str, keys: Sequence[str], run_id: int | None = None
    ) -> dict[str, CreateIntent]:
        """`intent` for many keys in one transaction: key -> intent."""
        unique = list(dict.fromkeys(keys))
        now = self._now()
        rows = [
            CreateIntent(system, object, key, created=now, run_id=run_id).__dict__ for key in unique
        ]
        where = (t.intents.c.system == system, t.intents.c.object == object)
        found: dict[str, CreateIntent] = {}
        with self._write() as conn:
            for part in chunks(rows, 2_000):
                insert_new(conn, t.intents, "key", part)
            for ids in chunks(unique):
                stmt = select(t.intents).where(*where, t.intents.c.key.in_(ids))
                found.update((row.key, CreateIntent(**row._mapping)) for row in conn.execute(stmt))
        return found

    def resolve_intent(self, system: str, object: str, key: str, record_id: str) -> None:
        """Record the id the create under `key` produced."""
        self.resolve_intents(system, object, {key: record_id})

    def resolve_intents(self, system: str, object: str, record_ids: Mapping[str, str]) -> None:
        """`resolve_intent` for many keys: key -> record id."""
        if not record_ids:
            return
        with self._write() as conn:
            conn.execute(
                t.intents.update()
                .where(
                    t.intents.c.system == system,
                    t.intents.c.object == object,
                    t.intents.c.key == bindparam("k"),
                )
                .values(record_id=bindparam("rid"), resolved=self._now()),
                [{"k": k, "rid": r} for k, r in record_ids.items()],
            )

    # --- tombstones ----------------------------------------------------------------

    def add_tombstone(
        self,
        system: str,
        object: str,
        record_id: str,
        reason: str,
        stable_id: str | None = None,
    ) -> None:
        """Remember a record erased without trace (a GDPR delete); idempotent."""
        row = {
            "system": system,
            "object": object,
            "record_id": record_id,
            "reason": reason,
            "stable_id": stable_id,
            "created": self._now(),
        }
        with self._write() as conn:
            insert_new(conn, t.tombstones, "id", [row])

    def is_tombstoned(self, system: str, ids: Sequence[str], object: str | None = None) -> set[str]:
        """Which of these record ids were erased (HubSpot ids repeat across objects: pass it)."""
        found: set[str] = set()
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(ids))):
                stmt = select(t.tombstones.c.record_id).where(
                    t.tombstones.c.system == system, t.tombstones.c.record_id.in_(part)
                )
                if object is not None:
                    stmt = stmt.where(t.tombstones.c.object == object)
                found.update(conn.execute(stmt).scalars())
        return found

    def tombstoned_entities(self, stable_ids: Sequence[str]) -> set[str]:
        """Which entities lost a record to erasure: never recreate them on either side."""
        found: set[str] = set()
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                stmt = select(t.tombstones.c.stable_id).where(t.tombstones.c.stable_id.in_(part))
                found.update(conn.execute(stmt).scalars())
        return found

    def tombstones(self) -> list[Tombstone]:
        """Every tombstone, oldest first."""
        with self._read() as conn:
            rows = conn.execute(select(t.tombstones).order_by(t.tombstones.c.id))
            return [
                Tombstone(**{k: v for k, v in row._mapping.items() if k != "id"}) for row in rows
            ]
