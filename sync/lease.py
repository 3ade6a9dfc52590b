"""Leases: locks with an expiry, so a crashed nightly run does not block the next one forever.

Taking a lease is one conditional UPDATE (free, expired, or already ours) and,
when no row exists yet, one INSERT that the primary key makes fail for all but
one contender. Both are atomic on SQLite and PostgreSQL, so two processes never
both hold a live lease. On PostgreSQL an advisory lock could be added on top;
the lease alone is enough because every holder checks it before it works.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import IntegrityError

from sync import schema as t
from sync.database import READ_ONLY
from sync.store_base import Clock, utc_now


@dataclass(frozen=True)
class Lease:
    """Who holds a lease and until when."""

    name: str
    holder: str
    acquired: datetime
    expires: datetime


def lease_name(job: str, org_id: str | None, portal_id: str | None) -> str:
    """The lease name of a job for one org/portal pair, e.g. `nightly:00D...:12345`."""
    return f"{job}:{org_id or '-'}:{portal_id or '-'}"


def default_holder() -> str:
    """A holder name unique to this process: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Leases:
    """Acquire, renew and release named leases in the state store."""

    def __init__(self, engine: Engine, clock: Clock = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
        """Take the lease unless someone else holds it live.

        An expired lease is taken over; a holder taking its own lease again
        extends it.

        Args:
            name: the lease, e.g. from `lease_name`.
            holder: who takes it (host, pid and a random part make it unique).
            ttl: how long it lasts without renewal.
            now: the time to judge expiry by; the clock's when None.

        Returns:
            True when `holder` now holds the lease.
        """
        now = now or self._clock()
        values = {"holder": holder, "acquired": now, "expires": now + ttl}
        with self._engine.begin() as conn:
            taken = conn.execute(
                t.leases.update()
                .where(
                    t.leases.c.name == name,
                    or_(t.leases.c.expires <= now, t.leases.c.holder == holder),
                )
                .values(**values)
            ).rowcount
        if taken == 1:
            return True
        try:
            with self._engine.begin() as conn:
                conn.execute(t.leases.insert().values(name=name, **values))
        except IntegrityError:
            return False  # the row exists and is held live by someone else
        return True

    def renew(self, name: str, holder: str, ttl: timedelta, now: datetime | None = None) -> bool:
        """Extend a lease still held live by `holder`; False when it was lost or expired."""
        now = now or self._clock()
        with self._engine.begin() as conn:
            done = conn.execute(
                t.leases.update()
                .where(
                    t.leases.c.name == name,
                    t.leases.c.holder == holder,
                    t.leases.c.expires > now,
                )
                .values(expires=now + ttl)
            ).rowcount
        return done == 1

    def release(self, name: str, holder: str) -> bool:
        """Give the lease up; False when `holder` did not hold it (expired and taken over)."""
        with self._engine.begin() as conn:
            done = conn.execute(
                t.leases.delete().where(t.leases.c.name == name, t.leases.c.holder == holder)
            ).rowcount
        return done == 1

    def holder(self, name: str) -> Lease | None:
        """The lease as recorded (possibly expired), or None when nobody took it."""
        with self._engine.connect() as conn:
            conn.execution_options(**{READ_ONLY: True})
            row = conn.execute(select(t.leases).where(t.leases.c.name == name)).first()
        return None if row is None else Lease(**row._mapping)
