"""Interests: an actor said it is interested in a notice (once per actor × notice, the key).

Expressed by the actor itself from its own space, or recorded by staff for it; read by the
grouped-bid register (`app.bid_board`: « équipes possibles », a bid created from a suggestion
starts at « intérêt » when a member already said so).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from veilleuse.core.errors import RecordsError
from veilleuse.records.db import Records
from veilleuse.records.tables import InterestRow, utcnow


@dataclass(frozen=True)
class Interest:
    actor_id: str
    notice_uid: str
    at: datetime
    by_user_id: int | None = None
    #: the notice's content hash when the interest was said (None when said before it was kept)
    content_hash: str | None = None


def _interest(row: InterestRow) -> Interest:
    at = row.at.replace(tzinfo=UTC) if row.at.tzinfo is None else row.at  # SQLite drops it
    return Interest(row.actor_id, row.notice_uid, at, row.by_user_id, row.content_hash)


def add_interest(
    records: Records,
    actor_id: str,
    notice_uid: str,
    by_user_id: int | None = None,
    at: datetime | None = None,
    content_hash: str | None = None,
) -> bool:
    """Record that `actor_id` is interested in `notice_uid`; True when it is new.

    `content_hash` is the notice's as the actor saw it: a deadline reminder says « modifié »
    when the notice changed since (`digests.reminders`).

    Idempotent: a second call (even a concurrent one, which loses on the unique key) keeps the
    first interest as it was and returns False.
    """
    at = (at or utcnow()).astimezone(UTC)
    try:
        with records.session() as s:
            if _exists(s, actor_id, notice_uid):
                return False
            s.add(
                InterestRow(
                    actor_id=actor_id,
                    notice_uid=notice_uid,
                    at=at,
                    by_user_id=by_user_id,
                    content_hash=content_hash or None,
                )
            )
    except RecordsError as exc:
        if isinstance(exc.__cause__, IntegrityError):
            with records.session() as s:
                if _exists(s, actor_id, notice_uid):  # a concurrent call stored it first
                    return False
        raise
    return True


def _exists(s: Session, actor_id: str, notice_uid: str) -> bool:
    query = select(InterestRow.id).where(
        InterestRow.actor_id == actor_id, InterestRow.notice_uid == notice_uid
    )
    return s.scalar(query) is not None


def _select(records: Records, *where: ColumnElement[bool]) -> list[Interest]:
    query = select(InterestRow).where(*where).order_by(InterestRow.at, InterestRow.id)
    with records.session() as s:
        return [_interest(r) for r in s.scalars(query)]


def interests_of_notices(records: Records, notice_uids: Collection[str]) -> list[Interest]:
    """Every interest in these notices (a notice and its duplicates), oldest first: one query."""
    if not notice_uids:
        return []
    return _select(records, InterestRow.notice_uid.in_(list(notice_uids)))


def interests_of_actors(records: Records, actor_ids: Collection[str] | None) -> list[Interest]:
    """Every interest of these actors (None: of every actor), oldest first: one query."""
    if actor_ids is None:
        return _select(records)
    if not actor_ids:
        return []
    return _select(records, InterestRow.actor_id.in_(list(actor_ids)))
