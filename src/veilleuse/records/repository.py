"""Reading and writing records with domain types in and out (no ORM rows leak past this module)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select

from veilleuse.core.errors import RecordsError
from veilleuse.core.models import (
    Actor,
    GroupedBid,
    GroupedBidEvent,
    GroupedBidStatus,
    GroupedBidSuggestion,
    Match,
    Money,
)
from veilleuse.records.db import Records
from veilleuse.records.tables import (
    ActorRow,
    DigestItemRow,
    DigestRow,
    FeedbackRow,
    GroupedBidEventRow,
    GroupedBidRow,
    MatchRow,
    SourceRunRow,
    SourceStateRow,
    SuggestionRow,
    utcnow,
)

# --------------------------------------------------------------------------- actors


def upsert_actors(records: Records, actors: Iterable[Actor]) -> tuple[int, int]:
    """Insert or update in place by id (or by SIRET when an existing actor has it)."""
    created = updated = 0
    with records.session() as s:
        for actor in actors:
            row = s.get(ActorRow, actor.id)
            if row is None and actor.siret:
                row = s.scalars(select(ActorRow).where(ActorRow.siret == actor.siret)).first()
                if row is not None:
                    actor = actor.model_copy(update={"id": row.id})
            payload = actor.model_dump(mode="json")
            if row is None:
                s.add(
                    ActorRow(
                        id=actor.id,
                        siret=actor.siret,
                        name=actor.name,
                        family=actor.family.value,
                        profile=payload,
                    )
                )
                created += 1
            else:
                row.siret, row.name, row.family = actor.siret, actor.name, actor.family.value
                row.profile, row.updated_at = payload, utcnow()
                updated += 1
    return created, updated


def list_actors(records: Records, active_only: bool = True) -> list[Actor]:
    with records.session() as s:
        query = select(ActorRow).order_by(ActorRow.id)
        if active_only:
            query = query.where(ActorRow.active.is_(True))
        return [Actor.model_validate(r.profile) for r in s.scalars(query)]


def get_actor(records: Records, actor_id: str) -> Actor | None:
    with records.session() as s:
        row = s.get(ActorRow, actor_id)
        return Actor.model_validate(row.profile) if row else None


# --------------------------------------------------------------------------- matches


def save_matches(records: Records, matches: Sequence[Match]) -> None:
    """Upsert by (actor, notice): a re-run updates the match in place."""
    now = utcnow()
    with records.session() as s:
        for m in matches:
            s.merge(
                MatchRow(
                    actor_id=m.actor_id,
                    notice_uid=m.notice_uid,
                    score=m.score,
                    payload=m.model_dump(mode="json"),
                    computed_at=now,
                )
            )


def load_matches(records: Records, actor_id: str | None = None) -> list[Match]:
    with records.session() as s:
        query = select(MatchRow).order_by(MatchRow.actor_id, MatchRow.score.desc())
        if actor_id:
            query = query.where(MatchRow.actor_id == actor_id)
        return [Match.model_validate(r.payload) for r in s.scalars(query)]


def save_suggestions(records: Records, suggestions: Sequence[GroupedBidSuggestion]) -> None:
    """Upsert by notice: one current suggestion per tender."""
    now = utcnow()
    with records.session() as s:
        for sug in suggestions:
            s.merge(
                SuggestionRow(
                    notice_uid=sug.notice_uid, payload=sug.model_dump(mode="json"), computed_at=now
                )
            )


def load_suggestions(records: Records) -> dict[str, GroupedBidSuggestion]:
    with records.session() as s:
        return {
            r.notice_uid: GroupedBidSuggestion.model_validate(r.payload)
            for r in s.scalars(select(SuggestionRow))
        }


# --------------------------------------------------------------------------- feedback


def add_feedback(
    records: Records,
    actor_id: str,
    notice_uid: str,
    relevant: bool,
    reason: str | None = None,
    by: str | None = None,
    target: str = "match",
) -> None:
    with records.session() as s:
        s.add(
            FeedbackRow(
                actor_id=actor_id,
                notice_uid=notice_uid,
                relevant=relevant,
                reason=reason,
                by=by,
                target=target,
            )
        )


def feedback_verdicts(records: Records) -> list[tuple[str, str, bool]]:
    """Every (actor, notice, relevant) verdict on matches, oldest first."""
    with records.session() as s:
        rows = s.execute(
            select(FeedbackRow.actor_id, FeedbackRow.notice_uid, FeedbackRow.relevant)
            .where(FeedbackRow.target == "match")
            .order_by(FeedbackRow.id)
        )
        return [(a, n, bool(r)) for a, n, r in rows]


def rejected_pairs(records: Records) -> set[tuple[str, str]]:
    """(actor, notice) pairs someone marked not relevant: never shown again."""
    with records.session() as s:
        rows = s.execute(
            select(FeedbackRow.actor_id, FeedbackRow.notice_uid).where(
                FeedbackRow.relevant.is_(False)
            )
        )
        return {(a, n) for a, n in rows}


# --------------------------------------------------------------------------- digests


def sent_uids(records: Records, actor_id: str) -> set[str]:
    """Every notice already announced to this actor (sent or pending)."""
    with records.session() as s:
        return set(
            s.scalars(select(DigestItemRow.notice_uid).where(DigestItemRow.actor_id == actor_id))
        )


def last_digest_at(records: Records, actor_id: str) -> datetime | None:
    """When the actor's latest digest was logged (pending or sent), or None."""
    with records.session() as s:
        found = s.scalars(
            select(DigestRow.period_end)
            .where(DigestRow.actor_id == actor_id)
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
) -> None:
    """Log the digest and its items as pending, in one transaction, before anything is sent.

    The unique (actor, notice) key makes a second announcement of a notice impossible even if
    two runs race: the loser's transaction fails and nothing of it is kept.
    """
    with records.session() as s:
        s.add(
            DigestRow(
                digest_id=digest_id,
                actor_id=actor_id,
                period_end=period_end,
                status="pending",
                message=message,
            )
        )
        s.flush()
        for uid in notice_uids:
            s.add(DigestItemRow(actor_id=actor_id, notice_uid=uid, digest_id=digest_id))


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


def unsent_digests(records: Records) -> list[PendingDigest]:
    """Digests logged but not confirmed sent (a crash or a mail failure): resend these as they are."""
    with records.session() as s:
        rows = s.scalars(
            select(DigestRow)
            .where(DigestRow.status.in_(["pending", "failed"]))
            .order_by(DigestRow.created_at)
        )
        return [PendingDigest(r.digest_id, r.actor_id, r.message) for r in rows]


def digest_counts(records: Records) -> dict[str, int]:
    with records.session() as s:
        out: dict[str, int] = {}
        for status in s.scalars(select(DigestRow.status)):
            out[status] = out.get(status, 0) + 1
        return out


# --------------------------------------------------------------------------- sources


@dataclass
class SourceRun:
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    duration_s: float = 0.0


def record_source_run(records: Records, run: SourceRun) -> None:
    with records.session() as s:
        s.add(
            SourceRunRow(
                source=run.source,
                status=run.status,
                started_at=run.started_at,
                finished_at=run.finished_at or utcnow(),
                fetched=run.fetched,
                new=run.new,
                updated=run.updated,
                unchanged=run.unchanged,
                rejected=run.rejected,
                problems=run.problems[:200],
                duration_s=run.duration_s,
            )
        )


def last_source_runs(records: Records, limit_per_source: int = 1) -> list[SourceRun]:
    with records.session() as s:
        rows = s.scalars(select(SourceRunRow).order_by(SourceRunRow.source, SourceRunRow.id.desc()))
        seen: dict[str, int] = {}
        out = []
        for r in rows:
            if seen.get(r.source, 0) >= limit_per_source:
                continue
            seen[r.source] = seen.get(r.source, 0) + 1
            out.append(
                SourceRun(
                    r.source,
                    r.status,
                    r.started_at,
                    r.finished_at,
                    r.fetched,
                    r.new,
                    r.updated,
                    r.unchanged,
                    r.rejected,
                    list(r.problems),
                    r.duration_s,
                )
            )
        return out


def get_source_state(records: Records, source: str) -> dict[str, Any]:
    with records.session() as s:
        row = s.get(SourceStateRow, source)
        if row is None:
            return {}
        return {"watermark": row.watermark, "etag": row.etag, "last_modified": row.last_modified}


def set_source_state(records: Records, source: str, **values: str | None) -> None:
    with records.session() as s:
        row = s.get(SourceStateRow, source)
        if row is None:
            row = SourceStateRow(source=source)
            s.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()


# --------------------------------------------------------------------------- grouped bids


def create_grouped_bid(records: Records, bid: GroupedBid, by: str | None = None) -> int:
    with records.session() as s:
        row = GroupedBidRow(
            notice_uid=bid.notice_uid,
            members=list(bid.members),
            lead=bid.lead,
            lots=list(bid.lots),
            status=bid.status.value,
            amount=bid.amount.amount if bid.amount else None,
            currency=bid.amount.currency if bid.amount else None,
        )
        s.add(row)
        s.flush()
        s.add(GroupedBidEventRow(bid_id=row.id, status=bid.status.value, by=by, note="créé"))
        return int(row.id)


def set_grouped_bid_status(
    records: Records,
    bid_id: int,
    status: GroupedBidStatus,
    note: str | None = None,
    by: str | None = None,
    amount: Money | None = None,
) -> None:
    with records.session() as s:
        row = s.get(GroupedBidRow, bid_id)
        if row is None:
            raise RecordsError(f"grouped bid {bid_id} does not exist")
        row.status, row.updated_at = status.value, utcnow()
        if amount is not None:
            row.amount, row.currency = amount.amount, amount.currency
        s.add(GroupedBidEventRow(bid_id=bid_id, status=status.value, note=note, by=by))


def list_grouped_bids(records: Records) -> list[GroupedBid]:
    with records.session() as s:
        out = []
        for row in s.scalars(select(GroupedBidRow).order_by(GroupedBidRow.id)):
            events = s.scalars(
                select(GroupedBidEventRow)
                .where(GroupedBidEventRow.bid_id == row.id)
                .order_by(GroupedBidEventRow.id)
            )
            out.append(
                GroupedBid(
                    id=row.id,
                    notice_uid=row.notice_uid,
                    members=row.members,
                    lead=row.lead,
                    lots=row.lots,
                    status=GroupedBidStatus(row.status),
                    amount=Money(amount=row.amount, currency=row.currency or "EUR")
                    if row.amount
                    else None,
                    history=[
                        GroupedBidEvent(
                            at=e.at.replace(tzinfo=e.at.tzinfo or UTC),
                            status=GroupedBidStatus(e.status),
                            note=e.note,
                            by=e.by,
                        )
                        for e in events
                    ],
                )
            )
        return out


def reset_matches(records: Records) -> None:
    """Forget computed matches and suggestions (they are recomputed each run)."""
    with records.session() as s:
        s.execute(delete(MatchRow))
        s.execute(delete(SuggestionRow))
