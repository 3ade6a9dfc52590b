"""The review queue: duplicates, fuzzy candidates, conflicts and rejected writes for a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from sync import schema as t
from sync.store_base import StoreBase
from sync.store_types import REVIEW_KINDS, ReviewItem


@dataclass(frozen=True)
class NewReview:
    """A review item to add: what kind, which record, and the detail a person needs."""

    kind: str
    system: str
    object: str
    record_id: str
    detail: Any = None


class ReviewsMixin(StoreBase):
    """Add, list and settle review items; an open item is not added twice."""

    def add_review(
        self,
        kind: str,
        system: str,
        object: str,
        record_id: str,
        detail: Any = None,
        run_id: int | None = None,
    ) -> int:
        """Queue an item for review, or refresh the detail of the same open item.

        Returns:
            The item's id (the existing one when that record already waits for review
            for the same kind).
        """
        return self.add_reviews([NewReview(kind, system, object, record_id, detail)], run_id)[0]

    def add_reviews(self, items: Sequence[NewReview], run_id: int | None = None) -> list[int]:
        """`add_review` for many items in one transaction; ids in input order."""
        for item in items:
            if item.kind not in REVIEW_KINDS:
                raise ValueError(
                    f"unknown review kind {item.kind!r}; expected one of {sorted(REVIEW_KINDS)}"
                )
        with self._write() as conn:
            return [self._add_review(conn, item, run_id) for item in items]

    def _add_review(self, conn: Connection, item: NewReview, run_id: int | None) -> int:
        same = (
            t.reviews.c.kind == item.kind,
            t.reviews.c.system == item.system,
            t.reviews.c.object == item.object,
            t.reviews.c.record_id == item.record_id,
            t.reviews.c.resolved.is_(None),
        )
        existing = conn.execute(select(t.reviews.c.id).where(*same)).scalar()
        if existing is not None:
            conn.execute(
                t.reviews.update()
                .where(t.reviews.c.id == existing)
                .values(detail=item.detail, run_id=run_id)
            )
            return int(existing)
        result = conn.execute(
            t.reviews.insert()
            .values(
                kind=item.kind,
                system=item.system,
                object=item.object,
                record_id=item.record_id,
                detail=item.detail,
                run_id=run_id,
                created=self._now(),
            )
            .returning(t.reviews.c.id)
        )
        return int(result.scalar_one())

    def reviews(self, open_only: bool = True, kind: str | None = None) -> list[ReviewItem]:
        """Review items, oldest first: only unresolved ones unless `open_only` is False."""
        stmt = select(t.reviews).order_by(t.reviews.c.id)
        if open_only:
            stmt = stmt.where(t.reviews.c.resolved.is_(None))
        if kind is not None:
            stmt = stmt.where(t.reviews.c.kind == kind)
        with self._read() as conn:
            return [ReviewItem(**row._mapping) for row in conn.execute(stmt)]

    def resolve_review(self, review_id: int, resolution: str) -> bool:
        """Mark an item settled, saying how; False when it was unknown or already settled."""
        with self._write() as conn:
            done = conn.execute(
                t.reviews.update()
                .where(t.reviews.c.id == review_id, t.reviews.c.resolved.is_(None))
                .values(resolved=self._now(), resolution=resolution)
            )
            return done.rowcount == 1
