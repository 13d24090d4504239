"""Computed matches, grouped-bid suggestions and the feedback given on them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select

from veilleuse.core.models import (
    GroupedBidSuggestion,
    Match,
)
from veilleuse.records.db import Records, upsert
from veilleuse.records.tables import (
    FeedbackRow,
    MatchRow,
    SuggestionRow,
    utcnow,
)


def save_matches(records: Records, matches: Sequence[Match]) -> None:
    """Upsert by (actor, notice): a re-run updates the match in place."""
    now = utcnow()
    with records.session() as s:
        upsert(
            s,
            MatchRow,
            [
                {
                    "actor_id": m.actor_id,
                    "notice_uid": m.notice_uid,
                    "score": m.score,
                    "payload": m.model_dump(mode="json"),
                    "computed_at": now,
                }
                for m in matches
            ],
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
        upsert(
            s,
            SuggestionRow,
            [
                {
                    "notice_uid": sug.notice_uid,
                    "payload": sug.model_dump(mode="json"),
                    "computed_at": now,
                }
                for sug in suggestions
            ],
        )


def load_suggestions(records: Records) -> dict[str, GroupedBidSuggestion]:
    with records.session() as s:
        return {
            r.notice_uid: GroupedBidSuggestion.model_validate(r.payload)
            for r in s.scalars(select(SuggestionRow))
        }


def reset_matches(records: Records) -> None:
    """Forget computed matches and suggestions (they are recomputed each run)."""
    with records.session() as s:
        s.execute(delete(MatchRow))
        s.execute(delete(SuggestionRow))


# feedback


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


def is_rejected(records: Records, actor_id: str, notice_uid: str) -> bool:
    """Whether someone already marked this (actor, notice) pair not relevant: one query."""
    with records.session() as s:
        query = select(FeedbackRow.id).where(
            FeedbackRow.actor_id == actor_id,
            FeedbackRow.notice_uid == notice_uid,
            FeedbackRow.relevant.is_(False),
        )
        return s.scalars(query.limit(1)).first() is not None


def matches_of_notice(records: Records, notice_uid: str) -> list[Match]:
    """The actors matched with one notice, best score first."""
    with records.session() as s:
        query = (
            select(MatchRow)
            .where(MatchRow.notice_uid == notice_uid)
            .order_by(MatchRow.score.desc(), MatchRow.actor_id)
        )
        return [Match.model_validate(r.payload) for r in s.scalars(query)]


def suggestion_of_notice(records: Records, notice_uid: str) -> GroupedBidSuggestion | None:
    with records.session() as s:
        row = s.get(SuggestionRow, notice_uid)
        return GroupedBidSuggestion.model_validate(row.payload) if row else None


def matches_of_notices(records: Records, notice_uids: Sequence[str]) -> list[Match]:
    """The matches of several notices in one query, by notice then best score first."""
    if not notice_uids:
        return []
    with records.session() as s:
        query = (
            select(MatchRow)
            .where(MatchRow.notice_uid.in_(list(notice_uids)))
            .order_by(MatchRow.notice_uid, MatchRow.score.desc(), MatchRow.actor_id)
        )
        return [Match.model_validate(r.payload) for r in s.scalars(query)]
