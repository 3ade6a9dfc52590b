"""Merging two stable ids of one person (or company) into one, and resolving merged-away ids.

Two stable ids meet when each was given to one side of a pair before the pair was
matched: a rules run gives every record it has not seen a stable id, so a Salesforce
lead and the HubSpot contact of the same person can each hold one, linked on one side
only. Identity matching later finds them to be one person; `merge_entities` then
folds the dropped id into the kept one, so links, bases, task keys, tombstones and
journal rows all speak of one id, and an alias row lets anything still holding the
dropped id (a saved plan, a report) resolve it.

A task key still only intended (recorded, its create sent or not, the answer never
recorded: a crash) keeps its key text through a merge: the CRM may hold the task
under that text (HubSpot `crmops_key`, a Salesforce external id), and only an upsert
under the same text finds it. `intended_aliases` tells the writer that text for a
key the rerun builds from the kept id; once the task is confirmed, the key takes the
kept id's text (`rekey_confirmed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Text, select

from sync import schema as t
from sync.database import chunks
from sync.store_base import StoreBase, bulk_write
from sync.store_types import LinkConflict


def rekeyed(key: str, drop: str, keep: str) -> str:
    """A task key `rule:record:step` whose record part is `drop`, with `keep` instead.

    Other keys are returned unchanged.
    """
    rule, sep, rest = key.partition(":")
    if sep and (rest == drop or rest.startswith(f"{drop}:")):
        return f"{rule}:{keep}{rest[len(drop) :]}"
    return key


def record_part(key: str) -> str:
    """The record part of a task key `rule:record:step` ("" for keys of another shape)."""
    _, sep, rest = key.partition(":")
    return rest.partition(":")[0] if sep else ""


class EntitiesMixin(StoreBase):
    """Merging stable ids, and following the aliases a merge leaves."""

    def merge_entities(self, keep: str, drop: str) -> None:
        """Fold stable id `drop` into `keep`, in one transaction.

        Moves `drop`'s links to `keep`; merges bases (`keep`'s values win, fields only
        `drop` has are copied); re-points task keys (the key text's record part too,
        so the next rules run finds them known, except for keys still only intended:
        see the module's docstring); re-points tombstones, journal rows and review
        details; records the alias `drop -> keep`; deletes `drop`.

        Raises:
            LinkConflict: both ids have a link in the same system (two different
                records of one CRM: a real conflict for a person, not a merge).
            ValueError: `keep` equals `drop`, either id is unknown, or their kinds differ.
        """
        if keep == drop:
            raise ValueError(f"cannot merge stable id {keep} into itself")
        with self._write() as conn:
            self._check_mergeable(conn, keep, drop)
            conn.execute(
                t.links.update()
                .where(t.links.c.stable_id == drop)
                .values(stable_id=keep, updated=self._now())
            )
            self._merge_bases(conn, keep, drop)
            self._merge_task_keys(conn, keep, drop)
            for table in (t.tombstones, t.journal):
                conn.execute(table.update().where(table.c.stable_id == drop).values(stable_id=keep))
            self._merge_review_details(conn, keep, drop)
            self._record_alias(conn, keep, drop)
            conn.execute(t.entities.delete().where(t.entities.c.stable_id == drop))

    def intended_aliases(self, system: str, keys: Sequence[str]) -> dict[str, str]:
        """Key -> the text an unconfirmed intent of the same task still has in `system`.

        For a key `rule:KEPT:step` the store does not know, an `intent` row of the
        same system keyed `rule:DROPPED:step`, where DROPPED was merged into KEPT: the
        writer upserts under that text, so a task the CRM made before a crash is found.
        Keys without such a row are left out.
        """
        with self._read() as conn:
            unknown = set(keys) - self._known_keys(conn, list(dict.fromkeys(keys)))
            dropped = _dropped_into(conn, {record_part(k) for k in unknown} - {""})
            candidates = {
                key: [rekeyed(key, record_part(key), d) for d in dropped.get(record_part(key), [])]
                for key in unknown
            }
            intended = _intents_among(conn, system, [c for cs in candidates.values() for c in cs])
        return {
            key: found for key, cs in candidates.items() for found in sorted(set(cs) & intended)[:1]
        }

    def resolve_entities(self, stable_ids: Sequence[str]) -> dict[str, str]:
        """Stable id -> the id it was merged into; ids never merged away are left out."""
        found: dict[str, str] = {}
        with self._read() as conn:
            for part in chunks(list(dict.fromkeys(stable_ids))):
                rows = conn.execute(
                    select(t.entity_aliases.c.stable_id, t.entity_aliases.c.kept).where(
                        t.entity_aliases.c.stable_id.in_(part)
                    )
                )
                found.update(dict(rows.all()))
        return found

    @staticmethod
    def _check_mergeable(conn: Connection, keep: str, drop: str) -> None:
        kinds = dict(
            conn.execute(
                select(t.entities.c.stable_id, t.entities.c.kind).where(
                    t.entities.c.stable_id.in_((keep, drop))
                )
            ).all()
        )
        for stable in (keep, drop):
            if stable not in kinds:
                raise ValueError(f"unknown stable id {stable}")
        if kinds[keep] != kinds[drop]:
            raise ValueError(f"cannot merge a {kinds[drop]} into a {kinds[keep]}")
        rows = conn.execute(
            select(t.links.c.stable_id, t.links.c.system, t.links.c.record_id).where(
                t.links.c.stable_id.in_((keep, drop))
            )
        ).all()
        held = {(stable, system): record_id for stable, system, record_id in rows}
        for system in sorted({system for _, system in held}):
            if (keep, system) in held and (drop, system) in held:
                raise LinkConflict(
                    f"{keep} and {drop} are both linked in {system} ({held[(keep, system)]} "
                    f"and {held[(drop, system)]}): two records there, not one"
                )

    def _merge_bases(self, conn: Connection, keep: str, drop: str) -> None:
        had = set(
            conn.execute(select(t.bases.c.field).where(t.bases.c.stable_id == keep)).scalars()
        )
        conn.execute(t.bases.delete().where(t.bases.c.stable_id == drop, t.bases.c.field.in_(had)))
        conn.execute(t.bases.update().where(t.bases.c.stable_id == drop).values(stable_id=keep))

    def _merge_task_keys(self, conn: Connection, keep: str, drop: str) -> None:
        """Task keys of `drop` move to `keep`, their key text with them.

        When `keep` already has the rewritten key (each side made the same task
        while they were two), the dropped row keeps its old key text but names
        `keep`: both tasks exist in their CRMs, and `keep`'s key already stops a
        third. Tasks are addressed by their stored task id after creation, so the
        key stored on a CRM task (`crmops_key`) may keep the old text. A key still
        `intent` keeps its text until it is confirmed (`rekey_confirmed`).
        """
        rows = conn.execute(
            select(t.task_keys.c.key, t.task_keys.c.status).where(t.task_keys.c.stable_id == drop)
        ).all()
        # An intended key keeps its text: the CRM may hold the task under it already.
        renames = {
            key: key if status == "intent" else rekeyed(key, drop, keep) for key, status in rows
        }
        taken = self._known_keys(conn, [k for old, k in renames.items() if k != old])
        for old, new in renames.items():
            values: dict[str, Any] = {"stable_id": keep, "updated": self._now()}
            if new not in taken:
                values["key"] = new
            conn.execute(t.task_keys.update().where(t.task_keys.c.key == old).values(**values))

    @staticmethod
    def _known_keys(conn: Connection, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for part in chunks(keys):
            found.update(
                conn.execute(select(t.task_keys.c.key).where(t.task_keys.c.key.in_(part))).scalars()
            )
        return found

    @staticmethod
    def _merge_review_details(conn: Connection, keep: str, drop: str) -> None:
        """Review details that name `drop` (a vanished record's stable id) name `keep`."""
        rows = conn.execute(
            select(t.reviews.c.id, t.reviews.c.detail).where(
                t.reviews.c.detail.cast(Text).contains(drop)
            )
        ).all()
        for review_id, detail in rows:
            changed = _replaced(detail, drop, keep)
            conn.execute(
                t.reviews.update().where(t.reviews.c.id == review_id).values(detail=changed)
            )

    def _record_alias(self, conn: Connection, keep: str, drop: str) -> None:
        # Ids merged into `drop` earlier now resolve to `keep` directly (no chains).
        conn.execute(
            t.entity_aliases.update().where(t.entity_aliases.c.kept == drop).values(kept=keep)
        )
        row = {"stable_id": drop, "kept": keep, "created": self._now()}
        bulk_write(conn, t.entity_aliases, t.entity_aliases.insert(), [row])


def rekey_confirmed(conn: Connection, keys: Sequence[str]) -> None:
    """Confirmed task keys still under an id merged away take the kept id's key text.

    A key whose new text is taken (each side made the task while they were two) keeps
    its old text, as at a merge.
    """
    rows: list[tuple[str, str | None]] = []
    for part in chunks(list(keys)):
        stmt = select(t.task_keys.c.key, t.task_keys.c.stable_id).where(t.task_keys.c.key.in_(part))
        rows += [(key, stable) for key, stable in conn.execute(stmt)]
    moved = {
        key: (record_part(key), stable)
        for key, stable in rows
        if stable and record_part(key) not in ("", stable)
    }
    aliases: set[tuple[str, str]] = set()
    for part in chunks(sorted({drop for drop, _ in moved.values()})):
        stmt = select(t.entity_aliases.c.stable_id, t.entity_aliases.c.kept).where(
            t.entity_aliases.c.stable_id.in_(part)
        )
        aliases.update((drop, keep) for drop, keep in conn.execute(stmt))
    renames = {
        key: rekeyed(key, drop, keep)
        for key, (drop, keep) in moved.items()
        if (drop, keep) in aliases
    }
    taken = EntitiesMixin._known_keys(conn, list(renames.values()))
    for old, new in renames.items():
        if new not in taken:
            conn.execute(t.task_keys.update().where(t.task_keys.c.key == old).values(key=new))


def _dropped_into(conn: Connection, kept: set[str]) -> dict[str, list[str]]:
    """Kept stable id -> the ids merged into it."""
    dropped: dict[str, list[str]] = {}
    for part in chunks(sorted(kept)):
        stmt = select(t.entity_aliases.c.stable_id, t.entity_aliases.c.kept).where(
            t.entity_aliases.c.kept.in_(part)
        )
        for drop, keep in conn.execute(stmt):
            dropped.setdefault(keep, []).append(drop)
    return dropped


def _intents_among(conn: Connection, system: str, keys: list[str]) -> set[str]:
    """Which of these keys the store holds as `intent` in `system`."""
    found: set[str] = set()
    for part in chunks(keys):
        stmt = select(t.task_keys.c.key).where(
            t.task_keys.c.key.in_(part),
            t.task_keys.c.system == system,
            t.task_keys.c.status == "intent",
        )
        found.update(conn.execute(stmt).scalars())
    return found


def _replaced(value: Any, drop: str, keep: str) -> Any:
    """A JSON value with every string equal to `drop` replaced by `keep`."""
    if value == drop:
        return keep
    if isinstance(value, dict):
        return {k: _replaced(v, drop, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, drop, keep) for v in value]
    return value
