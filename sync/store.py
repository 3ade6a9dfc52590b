"""The state store: links, bases, cursors and binding; runs, journal and tasks via mixins.

One `StateStore` per process, opened on a SQLAlchemy URL. Methods take and return
plain data (see `sync.store_types`), work in batches (IN lists are chunked, writes
are executemany), and each call is one transaction: a crash between two calls
leaves the store as the last finished call left it; `transaction()` groups calls.

Public API, by area:
- binding: `bind`, `binding`
- entities and links: `new_entity(ies)`, `entity_kinds`, `link`, `add_links`, `unlink`,
  `move_link(s)`, `links_for_records`, `links_for_ids`, `records_for`, `links_of`;
  `merge_entities`, `resolve_entities` (`sync.store_entities`)
- bases: `bases_for`, `base_values`, `set_bases`, `drop_bases`
- cursors: `cursor`, `save_cursor`, `clear_cursors`
- runs and journal: `start_run`, `finish_run`, `runs`, `run`, `journal_planned`,
  `journal_mark`, `journal_for_run`, `journal_after`, `add_artifact`, `artifacts`
- tasks and creates: `task_keys_known`, `record_task_intents`, `mark_tasks_created`,
  `mark_tasks_status`, `open_outreach_tasks(_for)`, `tasks_of_run`, `intent(s)`,
  `resolve_intent(s)`, `intended_aliases`
- erasure and review: `add_tombstone`, `is_tombstoned`, `tombstoned_entities`,
  `tombstones`, `add_review(s)`, `reviews`, `resolve_review`
- `leases` (`sync.lease.Leases`), `purge` (`sync.retention`), `transaction`
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine, select

from integrations.base import Cursor
from sync import retention
from sync import schema as t
from sync.database import DEFAULT_URL, chunks, open_engine
from sync.lease import Leases
from sync.migrations import migrate
from sync.store_base import Clock, StoreBase, bulk_write, insert_new, upsert, utc_now
from sync.store_entities import EntitiesMixin
from sync.store_links import LinksMixin
from sync.store_reviews import ReviewsMixin
from sync.store_runs import RunsMixin
from sync.store_tasks import TasksMixin
from sync.store_types import BaseValue, StoreBoundElsewhere

ORG_KEY = "salesforce_org_id"
PORTAL_KEY = "hubspot_portal_id"


class StateStore(EntitiesMixin, LinksMixin, RunsMixin, TasksMixin, ReviewsMixin, StoreBase):
    """crmops's memory between runs, in a database it owns.

    Opening migrates an older schema forward and refuses a newer one.
    """

    def __init__(self, url: str = DEFAULT_URL, *, clock: Clock = utc_now) -> None:
        """Open (creating if needed) the store at `url`.

        Args:
            url: a SQLAlchemy URL; the default is an owner-only SQLite file.
            clock: the time source for recorded timestamps (tests pass a fixed one).

        Raises:
            sync.migrations.SchemaTooNew: the database was written by a newer crmops.
        """
        engine = open_engine(url)
        try:
            migrate(engine)
        except Exception:
            engine.dispose()
            raise
        super().__init__(engine, clock)
        self.leases = Leases(engine, clock)

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def purge(
        self, older_than: timedelta, now: datetime | None = None, dry_run: bool = False
    ) -> dict[str, int]:
        """Delete journals, saved files, settled reviews and run summaries past retention.

        See `sync.retention.purge`; returns counts per kind (`dry_run`: what would go).
        """
        return retention.purge(self._engine, older_than, now or self._now(), dry_run)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for instrumentation (e.g. counting statements in tests)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with any password masked, for messages."""
        return self._engine.url.render_as_string(hide_password=True)

    # --- binding ---------------------------------------------------------------

    def binding(self) -> tuple[str | None, str | None]:
        """The (Salesforce org id, HubSpot portal id) this store is bound to, if any."""
        with self._read() as conn:
            rows = dict(
                conn.execute(
                    select(t.meta.c.key, t.meta.c.value).where(
                        t.meta.c.key.in_((ORG_KEY, PORTAL_KEY))
                    )
                ).all()
            )
        return rows.get(ORG_KEY), rows.get(PORTAL_KEY)

    def bind(self, org_id: str | None, portal_id: str | None) -> None:
        """Bind the store to an org and a portal on first use; check them afterwards.

        An id given as None (that CRM is not configured) is neither bound nor checked.

        Raises:
            StoreBoundElsewhere: the store already belongs to another org or portal.
        """
        with self._write() as conn:
            for key, what, given in (
                (ORG_KEY, "Salesforce org", org_id),
                (PORTAL_KEY, "HubSpot portal", portal_id),
            ):
                if given is None:
                    continue
                # Insert-if-absent, then compare: two first runs cannot bind differently.
                insert_new(conn, t.meta, "key", [{"key": key, "value": given}])
                bound = conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar_one()
                if bound != given:
                    raise StoreBoundElsewhere(what, bound, given)

    # --- entities ----------------------------------------------------------------

    def new_entity(self, kind: str) -> str:
        """A new stable id (uuid4 hex) of `kind`: person, company, deal or owner."""
        return self.new_entities(kind, 1)[0]

    def new_entities(self, kind: str, count: int) -> list[str]:
        """`count` new stable ids of one kind, inserted in one statement."""
        self._check_kind(kind)
        ids = [uuid.uuid4().hex for _ in range(count)]
        if ids:
            now = self._now()
            with self._write() as conn:
                rows = [{"stable_id": i, "kind": kind, "created": now} for i in ids]
                bulk_write(conn, t.entities, t.entities.insert(), rows)
        return ids

    def entity_kinds(self, stable_ids: Sequence[str]) -> dict[str, str]:
        """The kind of each known stable id; unknown ids are left out."""
        found: dict[str, str] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                rows = conn.execute(
                    select(t.entities.c.stable_id, t.entities.c.kind).where(
                        t.entities.c.stable_id.in_(part)
                    )
                )
                found.update(dict(rows.all()))
        return found

    # --- bases -------------------------------------------------------------------

    def bases_for(self, stable_ids: Sequence[str]) -> dict[str, dict[str, object]]:
        """The last-synced value of every field of these entities.

        Returns:
            stable id -> field -> value; entities with no base are left out, and a
            field absent from the inner dict was never synced (unlike a None value).
        """
        found: dict[str, dict[str, object]] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                rows = conn.execute(
                    select(t.bases.c.stable_id, t.bases.c.field, t.bases.c.value).where(
                        t.bases.c.stable_id.in_(part)
                    )
                )
                for stable_id, field, value in rows:
                    found.setdefault(stable_id, {})[field] = value
        return found

    def base_values(self, stable_ids: Sequence[str]) -> list[BaseValue]:
        """Like `bases_for`, as rows that carry when each value was synced."""
        found: list[BaseValue] = []
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                rows = conn.execute(
                    select(t.bases.c.stable_id, t.bases.c.field, t.bases.c.value, t.bases.c.synced)
                    .where(t.bases.c.stable_id.in_(part))
                    .order_by(t.bases.c.stable_id, t.bases.c.field)
                )
                found.extend(BaseValue(*row) for row in rows)
        return found

    def set_bases(self, rows: Sequence[BaseValue]) -> None:
        """Record values as synced (values JSON-encoded; None, str, numbers, bools survive).

        A row without `synced` gets the store's clock. Later rows for the same
        (stable id, field) win.
        """
        now = self._now()
        unique = {
            (r.stable_id, r.field): {
                "stable_id": r.stable_id,
                "field": r.field,
                "value": r.value,
                "synced": r.synced or now,
            }
            for r in rows
        }
        with self._write() as conn:
            for part in chunks(list(unique.values()), 5_000):
                upsert(conn, t.bases, ("stable_id", "field"), part)

    def drop_bases(self, stable_ids: Sequence[str], fields: Sequence[str] | None = None) -> int:
        """Forget bases (all, or only `fields`) of these entities; returns rows deleted."""
        deleted = 0
        with self._write() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                stmt = t.bases.delete().where(t.bases.c.stable_id.in_(part))
                if fields is not None:
                    stmt = stmt.where(t.bases.c.field.in_(list(fields)))
                deleted += conn.execute(stmt).rowcount
        return deleted

    # --- cursors -----------------------------------------------------------------

    def cursor(self, system: str, object: str) -> Cursor | None:
        """Where the last incremental read of this object stopped, or None before the first."""
        with self._read() as conn:
            row = conn.execute(
                select(t.cursors.c.modified, t.cursors.c.record_id).where(
                    t.cursors.c.system == system, t.cursors.c.object == object
                )
            ).first()
        return None if row is None else Cursor(row.modified, row.record_id)

    def save_cursor(self, system: str, object: str, cursor: Cursor) -> None:
        """Store the cursor; call only after the records up to it are safely applied."""
        with self._write() as conn:
            upsert(
                conn,
                t.cursors,
                ("system", "object"),
                [
                    {
                        "system": system,
                        "object": object,
                        "modified": cursor.modified,
                        "record_id": cursor.record_id,
                        "updated": self._now(),
                    }
                ],
            )

    def clear_cursors(self, system: str | None = None) -> int:
        """Forget cursors (of one system, or all), so the next run reads everything."""
        stmt = t.cursors.delete()
        if system is not None:
            stmt = stmt.where(t.cursors.c.system == system)
        with self._write() as conn:
            return conn.execute(stmt).rowcount

    # --- cached lookup tables --------------------------------------------------

    def cached(self, key: str) -> str | None:
        """A value kept between runs under `key` (e.g. owners and deal stages), or None."""
        with self._read() as conn:
            return conn.execute(select(t.meta.c.value).where(t.meta.c.key == key)).scalar()

    def set_cached(self, key: str, value: str) -> None:
        """Keep `value` under `key` between runs (replacing the previous one)."""
        with self._write() as conn:
            upsert(conn, t.meta, ("key",), [{"key": key, "value": value}])
