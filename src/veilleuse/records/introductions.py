"""Introductions between actors for a notice, and each one's answer.

A request is the rows of one notice × requester (`requester_id`: the actor who asked for
partners, or the lead of a team the network formed from a suggestion), one per actor asked —
the requester included. An answer is `pending`, `accepted`, `declined` or `not_asked` (the
actor's preferences refuse introductions: it gets no e-mail). The introduction e-mail an actor
receives is logged in `digests` (kind `introduction`) in the same transaction that records it on
its row, so a crash resends that message and never a second one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, tuple_, update

from veilleuse.core.errors import RecordsError
from veilleuse.records.db import Records
from veilleuse.records.tables import DigestRow, IntroductionRow

ANSWERS = ("pending", "accepted", "declined", "not_asked")


@dataclass(frozen=True)
class Introduction:
    id: int
    notice_uid: str
    requester_id: str
    actor_id: str
    answer: str
    bid_id: int | None
    #: the introduction e-mail sent to this actor (None for the requester, or not asked)
    digest_id: str | None
    created_at: datetime
    answered_at: datetime | None

    @property
    def key(self) -> tuple[str, str]:
        """The request it belongs to: (notice uid, requester id)."""
        return (self.notice_uid, self.requester_id)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite drops the offset
        return value.replace(tzinfo=UTC)
    return value


def _introduction(row: IntroductionRow) -> Introduction:
    created = _aware(row.created_at)
    assert created is not None
    return Introduction(
        row.id,
        row.notice_uid,
        row.requester_id,
        row.actor_id,
        row.answer,
        row.bid_id,
        row.digest_id,
        created,
        _aware(row.answered_at),
    )


def add_request(
    records: Records,
    notice_uid: str,
    requester_id: str,
    answers: Sequence[tuple[str, str]],
    at: datetime,
    bid_id: int | None = None,
) -> list[Introduction]:
    """Record (actor id, answer) rows of the request `notice_uid` × `requester_id`, in one
    transaction; actors already in that request keep their row. Returns the rows created."""
    for _, answer in answers:
        if answer not in ANSWERS:
            raise ValueError(f"unknown answer {answer!r}")
    with records.session() as s:
        taken = set(
            s.scalars(
                select(IntroductionRow.actor_id).where(
                    IntroductionRow.notice_uid == notice_uid,
                    IntroductionRow.requester_id == requester_id,
                )
            )
        )
        rows = []
        for actor_id, answer in dict(answers).items():
            if actor_id in taken:
                continue
            row = IntroductionRow(
                notice_uid=notice_uid,
                requester_id=requester_id,
                actor_id=actor_id,
                answer=answer,
                bid_id=bid_id,
                created_at=at,
                answered_at=at if answer == "accepted" else None,
            )
            s.add(row)
            rows.append(row)
        s.flush()
        return [_introduction(r) for r in rows]


def reserve_mail(
    records: Records,
    introduction_id: int | None,
    mail_id: str,
    actor_id: str,
    at: datetime,
    message: str,
) -> None:
    """Log an introduction e-mail (kind `introduction`, pending) and, when it is the request's
    e-mail (`introduction_id`), note it on that row — one transaction. `RecordsError` when that
    e-mail was logged already (nothing kept)."""
    with records.session() as s:
        s.add(
            DigestRow(
                digest_id=mail_id,
                actor_id=actor_id,
                period_end=at,
                status="pending",
                message=message,
                kind="introduction",
            )
        )
        s.flush()
        if introduction_id is not None:
            done = s.execute(
                update(IntroductionRow)
                .where(IntroductionRow.id == introduction_id, IntroductionRow.digest_id.is_(None))
                .values(digest_id=mail_id)
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                raise RecordsError(f"introduction {introduction_id}: e-mail already logged")


def logged_mail_ids(records: Records, mail_ids: Collection[str]) -> set[str]:
    """Those of `mail_ids` already in the log."""
    if not mail_ids:
        return set()
    with records.session() as s:
        query = select(DigestRow.digest_id).where(DigestRow.digest_id.in_(list(mail_ids)))
        return set(s.scalars(query))


def answer(
    records: Records, actor_id: str, notice_uid: str, accepted: bool, at: datetime
) -> list[Introduction]:
    """The actor's answer to every request it is in for this notice (a change of mind is
    allowed; `not_asked` rows stay as they are). Returns its rows after the change."""
    value = "accepted" if accepted else "declined"
    with records.session() as s:
        rows = list(
            s.scalars(
                select(IntroductionRow).where(
                    IntroductionRow.actor_id == actor_id,
                    IntroductionRow.notice_uid == notice_uid,
                    IntroductionRow.answer != "not_asked",
                )
            )
        )
        for row in rows:
            if row.answer != value:
                row.answer, row.answered_at = value, at
        s.flush()
        return [_introduction(r) for r in rows]


def of_actor(records: Records, actor_id: str, notice_uid: str | None = None) -> list[Introduction]:
    """The rows of `actor_id` (for one notice), oldest first."""
    query = select(IntroductionRow).where(IntroductionRow.actor_id == actor_id)
    if notice_uid is not None:
        query = query.where(IntroductionRow.notice_uid == notice_uid)
    with records.session() as s:
        return [_introduction(r) for r in s.scalars(query.order_by(IntroductionRow.id))]


def of_requests(records: Records, keys: Collection[tuple[str, str]]) -> list[Introduction]:
    """Every row of these requests (notice uid, requester id), oldest first: one query."""
    if not keys:
        return []
    with records.session() as s:
        query = select(IntroductionRow).where(
            tuple_(IntroductionRow.notice_uid, IntroductionRow.requester_id).in_(list(keys))
        )
        return [_introduction(r) for r in s.scalars(query.order_by(IntroductionRow.id))]
