"""The reminder log: one deadline reminder per actor × notice, enforced by the table's key.

A reminder is logged in the same transaction as the e-mail that carries it — a weekly digest
(`records.digest_log.reserve_digest`) or a reminder e-mail of its own (`reserve_reminder_mail`),
both rows of `digests` holding the whole message — so a crash between logging and sending
resends that stored message and never reminds twice; a concurrent run loses on the key and
logs nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from veilleuse.records.db import Records
from veilleuse.records.tables import DigestRow, ReminderRow


@dataclass(frozen=True)
class ReminderEntry:
    """A reminder to log: the notice, the deadline reminded, whether it changed since."""

    notice_uid: str
    deadline: datetime | None
    modified: bool = False


@dataclass(frozen=True)
class LoggedReminder:
    actor_id: str
    notice_uid: str
    digest_id: str
    deadline: datetime | None
    modified: bool
    #: the status of the e-mail that carried it (pending, sent, failed, undeliverable)
    status: str
    kind: str


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite drops the offset
        return value.replace(tzinfo=UTC)
    return value


def add_reminder_rows(
    s: Session, digest_id: str, actor_id: str, entries: Sequence[ReminderEntry], at: datetime
) -> None:
    """Add the reminders carried by `digest_id` to the session (the caller's transaction)."""
    for entry in entries:
        s.add(
            ReminderRow(
                actor_id=actor_id,
                notice_uid=entry.notice_uid,
                digest_id=digest_id,
                deadline=entry.deadline,
                modified=entry.modified,
                created_at=at,
            )
        )


def reserve_reminder_mail(
    records: Records,
    mail_id: str,
    actor_id: str,
    at: datetime,
    message: str,
    entries: Sequence[ReminderEntry],
) -> None:
    """Log a reminder e-mail (kind `reminder`, pending) and its reminders in one transaction;
    `RecordsError` (nothing kept) when one of them was logged first by another run."""
    with records.session() as s:
        s.add(
            DigestRow(
                digest_id=mail_id,
                actor_id=actor_id,
                period_end=at,
                status="pending",
                message=message,
                kind="reminder",
            )
        )
        s.flush()
        add_reminder_rows(s, mail_id, actor_id, entries, at)


def reminded_pairs(
    records: Records, actor_ids: Collection[str] | None = None
) -> set[tuple[str, str]]:
    """(actor id, notice uid) of every reminder logged (pending or sent), in one query."""
    query = select(ReminderRow.actor_id, ReminderRow.notice_uid)
    if actor_ids is not None:
        if not actor_ids:
            return set()
        query = query.where(ReminderRow.actor_id.in_(list(actor_ids)))
    with records.session() as s:
        return {(a, u) for a, u in s.execute(query)}


def reminders_of(
    records: Records, actor_ids: Collection[str] | None = None
) -> list[LoggedReminder]:
    """The logged reminders (of these actors), with the status of the e-mail that carried
    them; oldest first, one query."""
    query = (
        select(ReminderRow, DigestRow.status, DigestRow.kind)
        .join(DigestRow, DigestRow.digest_id == ReminderRow.digest_id)
        .order_by(ReminderRow.created_at, ReminderRow.id)
    )
    if actor_ids is not None:
        query = query.where(ReminderRow.actor_id.in_(list(actor_ids)))
    with records.session() as s:
        return [
            LoggedReminder(
                r.actor_id,
                r.notice_uid,
                r.digest_id,
                _aware(r.deadline),
                r.modified,
                status,
                kind,
            )
            for r, status, kind in s.execute(query)
        ]


def free_mail_id(records: Records, base: str) -> str:
    """`base`, or `base#2`, `base#3`… : the first id no logged e-mail has."""
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


def count_reminders(records: Records) -> int:
    with records.session() as s:
        return int(s.scalar(select(func.count()).select_from(ReminderRow)) or 0)
