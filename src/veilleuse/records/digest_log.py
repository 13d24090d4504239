"""The digest send log: reserve before sending, confirm after, resend what was left pending."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from veilleuse.core.errors import RecordsError
from veilleuse.records.db import Records
from veilleuse.records.reminders import ReminderEntry, add_reminder_rows
from veilleuse.records.tables import (
    ActorTerritoryRow,
    DigestItemRow,
    DigestRow,
    utcnow,
)


def sent_uids(records: Records, actor_id: str) -> set[str]:
    """Every notice already announced to this actor (sent or pending)."""
    with records.session() as s:
        return set(
            s.scalars(select(DigestItemRow.notice_uid).where(DigestItemRow.actor_id == actor_id))
        )


def last_digest_at(records: Records, actor_id: str) -> datetime | None:
    """When the actor's latest weekly digest was logged (pending or sent), or None; the other
    e-mails of the log (reminders, the network's digest, introductions) do not count."""
    with records.session() as s:
        found = s.scalars(
            select(DigestRow.period_end)
            .where(DigestRow.actor_id == actor_id, DigestRow.kind == "digest")
            .order_by(DigestRow.period_end.desc())
        ).first()
    if found is not None and found.tzinfo is None:  # SQLite drops the offset
        found = found.replace(tzinfo=UTC)
    return found


def next_digest_id(records: Records, actor_id: str, period_end: datetime) -> str:
    base = f"{actor_id}:{period_end.date().isoformat()}"
    with records.session() as s:
        taken = set(
            s.scalars(select(DigestRow.digest_id).where(DigestRow.digest_id.like(base + "%")))
        )
    if base not in taken:
        return base
    n = 2
    while f"{base}#{n}" in taken:
        n += 1
    return f"{base}#{n}"


def reserve_digest(
    records: Records,
    digest_id: str,
    actor_id: str,
    period_end: datetime,
    message: str,
    notice_uids: Sequence[str],
    *,
    reminders: Sequence[ReminderEntry] = (),
    kind: str = "digest",
) -> None:
    """Log the digest and its items as pending, in one transaction, before anything is sent.

    The unique (actor, notice) key makes a second announcement of a notice impossible even if
    two runs race: the loser's transaction fails and nothing of it is kept. The deadline
    `reminders` it carries are logged in the same transaction (`records.reminders`, unique
    actor × notice too). `kind`: `digest` (weekly) or `curated` (the network's digest).
    """
    with records.session() as s:
        s.add(
            DigestRow(
                digest_id=digest_id,
                actor_id=actor_id,
                period_end=period_end,
                status="pending",
                message=message,
                kind=kind,
            )
        )
        s.flush()
        for uid in notice_uids:
            s.add(DigestItemRow(actor_id=actor_id, notice_uid=uid, digest_id=digest_id))
        add_reminder_rows(s, digest_id, actor_id, reminders, period_end)


def mark_digest(records: Records, digest_id: str, status: str, error: str | None = None) -> None:
    with records.session() as s:
        row = s.get(DigestRow, digest_id)
        if row is None:
            raise RecordsError(f"digest {digest_id} is not in the send log")
        row.status, row.error = status, error
        if status == "sent":
            row.sent_at = utcnow()


@dataclass
class PendingDigest:
    digest_id: str
    actor_id: str
    message: str
    #: sends tried so far (every run counts)
    attempts: int = 0


def unsent_digests(records: Records) -> list[PendingDigest]:
    """Digests logged but not confirmed sent (a crash or a mail failure): resend these as they are."""
    with records.session() as s:
        rows = s.scalars(
            select(DigestRow)
            .where(DigestRow.status.in_(["pending", "failed"]))
            .order_by(DigestRow.created_at)
        )
        return [PendingDigest(r.digest_id, r.actor_id, r.message, r.attempts or 0) for r in rows]


def digest_counts(records: Records) -> dict[str, int]:
    """How many logged digests per status, counted by the database."""
    with records.session() as s:
        rows = s.execute(select(DigestRow.status, func.count()).group_by(DigestRow.status))
        return {status: int(n) for status, n in rows}


def delivered_items(
    records: Records, territory_id: str, low: datetime, high: datetime
) -> list[tuple[str, str]]:
    """(actor id, notice uid) of every item of the digests sent in [low, high) to the actors of
    `territory_id` (their assignment today), in one query; pending and failed digests are not
    delivered. Ordered by actor, then notice."""
    query = (
        select(DigestItemRow.actor_id, DigestItemRow.notice_uid)
        .join(DigestRow, DigestRow.digest_id == DigestItemRow.digest_id)
        .join(ActorTerritoryRow, ActorTerritoryRow.actor_id == DigestItemRow.actor_id)
        .where(
            ActorTerritoryRow.territory_id == territory_id,
            DigestRow.status == "sent",
            DigestRow.sent_at >= low,
            DigestRow.sent_at < high,
        )
        .order_by(DigestItemRow.actor_id, DigestItemRow.notice_uid)
    )
    with records.session() as s:
        return [(actor_id, uid) for actor_id, uid in s.execute(query)]
