"""Notices the watch officer pushed to actors: one push per actor × notice (the table's key).

Whether a push reached the actor is not stored here: the digest send log says it (a push is
pending while its actor × notice pair is not in `digest_items`), so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Exists, and_, select
from sqlalchemy.exc import IntegrityError

from veilleuse.core.errors import RecordsError
from veilleuse.records.db import Records
from veilleuse.records.tables import DigestItemRow, PushRow, UserRow


@dataclass(frozen=True)
class Push:
    actor_id: str
    notice_uid: str
    at: datetime
    note: str | None = None
    by_user_id: int | None = None
    by_name: str | None = None
    #: the notice is in a digest logged for the actor (this uid; duplicates are the app's call)
    logged: bool = False


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # SQLite drops it


def add_pushes(
    records: Records,
    notice_uid: str,
    actor_ids: Sequence[str],
    by_user_id: int | None,
    note: str | None,
    at: datetime,
) -> list[str]:
    """Record pushes of one notice; returns the actors newly pushed (others already were).

    Pairs already pushed are left as they are (first push, first note). A concurrent push of
    the same pair loses on the unique key and counts as already pushed.
    """
    created: list[str] = []
    for actor_id in dict.fromkeys(actor_ids):
        try:
            with records.session() as s:
                exists = s.scalar(
                    select(PushRow.id).where(
                        PushRow.actor_id == actor_id, PushRow.notice_uid == notice_uid
                    )
                )
                if exists is not None:
                    continue
                s.add(
                    PushRow(
                        actor_id=actor_id,
                        notice_uid=notice_uid,
                        by_user_id=by_user_id,
                        note=note,
                        at=at,
                    )
                )
        except RecordsError as exc:
            if isinstance(exc.__cause__, IntegrityError):
                continue
            raise
        created.append(actor_id)
    return created


def _logged() -> Exists:
    """EXISTS: the push's actor × notice pair is in the digest send log."""
    return (
        select(DigestItemRow.id)
        .where(
            and_(
                DigestItemRow.actor_id == PushRow.actor_id,
                DigestItemRow.notice_uid == PushRow.notice_uid,
            )
        )
        .exists()
    )


def _rows(records: Records, *where: ColumnElement[bool]) -> list[Push]:
    query = (
        select(PushRow, UserRow.name, UserRow.email, _logged())
        .outerjoin(UserRow, UserRow.id == PushRow.by_user_id)
        .where(*where)
        .order_by(PushRow.at, PushRow.id)
    )
    with records.session() as s:
        return [
            Push(
                actor_id=row.actor_id,
                notice_uid=row.notice_uid,
                at=_aware(row.at),
                note=row.note,
                by_user_id=row.by_user_id,
                by_name=name or email,
                logged=bool(logged),
            )
            for row, name, email, logged in s.execute(query)
        ]


def pushes_of_notice(records: Records, notice_uids: Sequence[str]) -> list[Push]:
    """Every push of these notices (a notice and its duplicates), oldest first."""
    if not notice_uids:
        return []
    return _rows(records, PushRow.notice_uid.in_(list(notice_uids)))


def pending_pushes(records: Records) -> list[Push]:
    """Pushes whose notice is not yet in a digest logged for their actor, oldest first."""
    return _rows(records, ~_logged())
