"""Links between stable ids and native records: add, look up in batches, move, remove."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, bindparam, select
from sqlalchemy.exc import IntegrityError

from sync import schema as t
from sync.database import chunks
from sync.store_base import StoreBase, bulk_write
from sync.store_types import ENTITY_KINDS, Link, LinkConflict


@dataclass(frozen=True)
class Move:
    """A record that became another one: a converted lead, a merged-away duplicate."""

    system: str
    from_object: str
    from_id: str
    to_object: str
    to_id: str


class LinksMixin(StoreBase):
    """Entity links: the identity map the whole sync joins through."""

    @staticmethod
    def _check_kind(kind: str) -> None:
        if kind not in ENTITY_KINDS:
            raise ValueError(
                f"unknown entity kind {kind!r}; expected one of {sorted(ENTITY_KINDS)}"
            )

    def link(self, stable_id: str, system: str, object: str, record_id: str) -> None:
        """Tie a native record to a stable id (a no-op when already so tied).

        Raises:
            LinkConflict: the record is linked to another stable id, or the stable
                id already has another record in that system.
        """
        self.add_links([Link(stable_id, system, object, record_id)])

    def add_links(self, new: Sequence[Link]) -> int:
        """Add many links in one transaction; returns how many were new.

        Raises:
            LinkConflict: as for `link`; nothing of the batch is written then.
        """
        wanted = list(dict.fromkeys(new))
        with self._write() as conn:
            by_record = self._existing_by_record(conn, wanted)
            by_stable = self._existing_by_stable(conn, wanted)
            rows = []
            for link in wanted:
                if by_record.get((link.system, link.object, link.record_id)) == link:
                    continue
                self._refuse_conflict(link, by_record, by_stable)
                by_record[(link.system, link.object, link.record_id)] = link
                by_stable[(link.stable_id, link.system)] = link
                rows.append({**link.__dict__, "updated": self._now()})
            try:
                if rows:
                    bulk_write(conn, t.links, t.links.insert(), rows)
            except IntegrityError as exc:
                raise LinkConflict(f"links refused by the database: {exc.orig}") from exc
        return len(rows)

    @staticmethod
    def _refuse_conflict(
        link: Link,
        by_record: dict[tuple[str, str, str], Link],
        by_stable: dict[tuple[str, str], Link],
    ) -> None:
        held = by_record.get((link.system, link.object, link.record_id))
        if held is not None:
            raise LinkConflict(
                f"{link.system} {link.object} {link.record_id} is already linked to "
                f"{held.stable_id}, not {link.stable_id}"
            )
        other = by_stable.get((link.stable_id, link.system))
        if other is not None:
            raise LinkConflict(
                f"{link.stable_id} is already linked to {link.system} {other.object} "
                f"{other.record_id}; move the link instead of adding {link.record_id}"
            )

    @staticmethod
    def _existing_by_record(
        conn: Connection, wanted: Sequence[Link]
    ) -> dict[tuple[str, str, str], Link]:
        groups: dict[tuple[str, str], list[str]] = {}
        for link in wanted:
            groups.setdefault((link.system, link.object), []).append(link.record_id)
        found: dict[tuple[str, str, str], Link] = {}
        for (system, object), ids in groups.items():
            for part in chunks(ids):
                rows = conn.execute(
                    select(t.links.c.stable_id, t.links.c.record_id).where(
                        t.links.c.system == system,
                        t.links.c.object == object,
                        t.links.c.record_id.in_(part),
                    )
                )
                for stable_id, record_id in rows:
                    found[(system, object, record_id)] = Link(stable_id, system, object, record_id)
        return found

    @staticmethod
    def _existing_by_stable(
        conn: Connection, wanted: Sequence[Link]
    ) -> dict[tuple[str, str], Link]:
        found: dict[tuple[str, str], Link] = {}
        for part in chunks(list({link.stable_id for link in wanted})):
            rows = conn.execute(
                select(
                    t.links.c.stable_id, t.links.c.system, t.links.c.object, t.links.c.record_id
                ).where(t.links.c.stable_id.in_(part))
            )
            for row in rows:
                found[(row[0], row[1])] = Link(*row)
        return found

    def unlink(self, system: str, object: str, record_id: str) -> str | None:
        """Remove a record's link; returns the stable id it had, or None if unlinked."""
        where = (
            t.links.c.system == system,
            t.links.c.object == object,
            t.links.c.record_id == record_id,
        )
        with self._write() as conn:
            stable_id = conn.execute(select(t.links.c.stable_id).where(*where)).scalar()
            if stable_id is not None:
                conn.execute(t.links.delete().where(*where))
        return stable_id

    def move_link(
        self, system: str, from_object: str, from_id: str, to_object: str, to_id: str
    ) -> str | None:
        """Point a link at the record that replaced its own (lead conversion, merge).

        Returns:
            The stable id now linked to the target record. When the target already
            had its own stable id (two linked records merged), the source link is
            dropped and the target's stable id is returned: the caller compares it
            with the source's to see that two entities met. None when the source
            was not linked and the target is not either.
        """
        return self.move_links([Move(system, from_object, from_id, to_object, to_id)])[0]

    def move_links(self, moves: Sequence[Move]) -> list[str | None]:
        """`move_link` for many records in one transaction; results in input order."""
        with self._write() as conn:
            return [self._move(conn, m) for m in moves]

    def _move(self, conn: Connection, move: Move) -> str | None:
        def where(object: str, record_id: str) -> tuple[ColumnElement[bool], ...]:
            return (
                t.links.c.system == move.system,
                t.links.c.object == object,
                t.links.c.record_id == record_id,
            )

        source = conn.execute(
            select(t.links.c.stable_id).where(*where(move.from_object, move.from_id))
        ).scalar()
        target = conn.execute(
            select(t.links.c.stable_id).where(*where(move.to_object, move.to_id))
        ).scalar()
        if source is None or target is not None:
            if source is not None and source != target:
                conn.execute(t.links.delete().where(*where(move.from_object, move.from_id)))
            return target
        conn.execute(
            t.links.update()
            .where(*where(move.from_object, move.from_id))
            .values(object=move.to_object, record_id=move.to_id, updated=self._now(), version=None)
        )
        return source

    def links_for_records(self, system: str, object: str, ids: Sequence[str]) -> dict[str, str]:
        """Stable ids of these native records (record id -> stable id); unlinked ones left out."""
        found: dict[str, str] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(ids))):
                rows = conn.execute(
                    select(t.links.c.record_id, t.links.c.stable_id).where(
                        t.links.c.system == system,
                        t.links.c.object == object,
                        t.links.c.record_id.in_(part),
                    )
                )
                found.update(dict(rows.all()))
        return found

    def links_for_ids(
        self, system: str, ids: Sequence[str], objects: Sequence[str] | None = None
    ) -> dict[str, Link]:
        """Links of records known by id alone (Salesforce ids are unique across objects).

        Args:
            system: salesforce or hubspot.
            ids: native record ids.
            objects: only links of these objects (pass it for HubSpot, whose ids
                repeat across object types).

        Returns:
            record id -> link; unlinked ids are left out.
        """
        found: dict[str, Link] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(ids))):
                stmt = select(
                    t.links.c.stable_id, t.links.c.system, t.links.c.object, t.links.c.record_id
                ).where(t.links.c.system == system, t.links.c.record_id.in_(part))
                if objects is not None:
                    stmt = stmt.where(t.links.c.object.in_(list(objects)))
                for row in conn.execute(stmt):
                    found[row[3]] = Link(*row)
        return found

    def records_for(self, stable_ids: Sequence[str], system: str) -> dict[str, Link]:
        """The native record each stable id is linked to in `system`; unlinked ones left out."""
        found: dict[str, Link] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                rows = conn.execute(
                    select(
                        t.links.c.stable_id, t.links.c.system, t.links.c.object, t.links.c.record_id
                    ).where(t.links.c.system == system, t.links.c.stable_id.in_(part))
                )
                for row in rows:
                    found[row[0]] = Link(*row)
        return found

    def links_of(self, system: str, object: str) -> list[Link]:
        """Every link of one native object, ordered by record id (for sweeps and reports)."""
        with self._read() as conn:
            rows = conn.execute(
                select(t.links.c.stable_id, t.links.c.system, t.links.c.object, t.links.c.record_id)
                .where(t.links.c.system == system, t.links.c.object == object)
                .order_by(t.links.c.record_id)
            )
            return [Link(*row) for row in rows]

    def record_versions(
        self, system: str, ids: Sequence[str], objects: Sequence[str] | None = None
    ) -> dict[str, datetime]:
        """The modified time each linked record had when a sync last read it (record id ->).

        Records never stamped (or unlinked) are left out; `objects` limits the links
        looked at (pass it for HubSpot, whose ids repeat across object types).
        """
        found: dict[str, datetime] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(ids))):
                stmt = select(t.links.c.record_id, t.links.c.version).where(
                    t.links.c.system == system,
                    t.links.c.record_id.in_(part),
                    t.links.c.version.is_not(None),
                )
                if objects is not None:
                    stmt = stmt.where(t.links.c.object.in_(list(objects)))
                found.update(dict(conn.execute(stmt).all()))
        return found

    def set_record_versions(
        self, system: str, object: str, versions: Mapping[str, datetime]
    ) -> None:
        """Stamp linked records of one object with the modified time a sync read them at."""
        if not versions:
            return
        stmt = (
            t.links.update()
            .where(
                t.links.c.system == system,
                t.links.c.object == object,
                t.links.c.record_id == bindparam("rid"),
            )
            .values(version=bindparam("stamp"))
        )
        rows = [{"rid": rid, "stamp": when} for rid, when in versions.items()]
        with self._write() as conn:
            conn.execute(stmt, rows)
