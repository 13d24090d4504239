"""What the match stage has scored, so a weekly run scores only what changed.

`match_state` keeps the hash each notice and actor was last scored at; `replace_matches` swaps
the matches of what a run scored for the new ones; `prune_matches` drops what a full run would
not have kept (closed or expired notices, inactive actors, rejected pairs, beyond `top_k`);
`replace_suggestions` swaps the grouped-bid suggestions of the notices whose matches changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, tuple_

from veilleuse.core.models import GroupedBidSuggestion, Match
from veilleuse.records.db import Records, upsert
from veilleuse.records.tables import MatchRow, MatchRunRow, MatchStateRow, SuggestionRow, utcnow

CHUNK = 500  # identifiers per IN list (SQLite binds at most 32,766 parameters)


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def scored_hashes(records: Records, kind: str) -> dict[str, str]:
    """ident → hash last scored, for kind "notice" or "actor"."""
    with records.session() as s:
        rows = s.execute(
            select(MatchStateRow.ident, MatchStateRow.hash).where(MatchStateRow.kind == kind)
        )
        return {ident: value for ident, value in rows.tuples()}


def mark_scored(records: Records, kind: str, hashes: Mapping[str, str]) -> None:
    """Record that these notices or actors were scored at these hashes (one upsert)."""
    now = utcnow()
    rows = [{"kind": kind, "ident": k, "hash": h, "scored_at": now} for k, h in hashes.items()]
    with records.session() as s:
        upsert(s, MatchStateRow, rows)


def forget_scored(records: Records, kind: str, idents: Collection[str]) -> None:
    """Forget these notices or actors: the next run scores them again."""
    with records.session() as s:
        for part in _chunks(sorted(idents)):
            s.execute(
                delete(MatchStateRow).where(
                    MatchStateRow.kind == kind, MatchStateRow.ident.in_(part)
                )
            )


def stored_scores(records: Records) -> list[tuple[str, str, float]]:
    """(actor, notice, score) of every stored match, in one query."""
    with records.session() as s:
        rows = s.execute(select(MatchRow.actor_id, MatchRow.notice_uid, MatchRow.score))
        return [(a, n, float(score)) for a, n, score in rows.tuples()]


def matches_of(records: Records, notices: Collection[str]) -> list[Match]:
    """The stored matches of these notices, by actor then notice (a few queries)."""
    found: list[Match] = []
    with records.session() as s:
        for part in _chunks(sorted(notices)):
            rows = s.scalars(select(MatchRow).where(MatchRow.notice_uid.in_(part)))
            found.extend(Match.model_validate(r.payload) for r in rows)
    return sorted(found, key=lambda m: (m.actor_id, m.notice_uid))


def replace_matches(
    records: Records,
    matches: Sequence[Match],
    *,
    actors: Collection[str] = (),
    notices: Collection[str] = (),
) -> None:
    """Delete the matches of the actors and notices a run scored again, then write `matches`,
    in one transaction (a re-run writes the same rows: no duplicates)."""
    now = utcnow()
    with records.session() as s:
        for part in _chunks(sorted(actors)):
            s.execute(delete(MatchRow).where(MatchRow.actor_id.in_(part)))
        for part in _chunks(sorted(notices)):
            s.execute(delete(MatchRow).where(MatchRow.notice_uid.in_(part)))
        rows = [
            {
                "actor_id": m.actor_id,
                "notice_uid": m.notice_uid,
                "score": m.score,
                "payload": m.model_dump(mode="json"),
                "computed_at": now,
            }
            for m in matches
        ]
        for start in range(0, len(rows), 5_000):
            upsert(s, MatchRow, rows[start : start + 5_000])


def prune_matches(
    records: Records,
    *,
    open_notices: Collection[str],
    active_actors: Collection[str],
    rejected: Collection[tuple[str, str]],
    top_k: int,
) -> int:
    """Drop matches a full run would not keep: of notices no longer open, of actors no longer
    active, of rejected pairs, and each actor's beyond its `top_k` best. Returns how many."""
    removed = 0
    with records.session() as s:
        stored = set(s.execute(select(MatchRow.actor_id, MatchRow.notice_uid)).tuples())
        gone_notices = sorted({n for _, n in stored} - set(open_notices))
        gone_actors = sorted({a for a, _ in stored} - set(active_actors))
        key = tuple_(MatchRow.actor_id, MatchRow.notice_uid)
        for part in _chunks(gone_notices):
            removed += _count(s.execute(delete(MatchRow).where(MatchRow.notice_uid.in_(part))))
        for part in _chunks(gone_actors):
            removed += _count(s.execute(delete(MatchRow).where(MatchRow.actor_id.in_(part))))
        for part in _chunks(sorted(stored & set(rejected))):
            removed += _count(s.execute(delete(MatchRow).where(key.in_(part))))
        rank = (
            func.row_number()
            .over(
                partition_by=MatchRow.actor_id,
                order_by=(MatchRow.score.desc(), MatchRow.notice_uid),
            )
            .label("rank")
        )
        ranked = select(MatchRow.actor_id, MatchRow.notice_uid, rank).subquery()
        beyond = list(
            s.execute(
                select(ranked.c.actor_id, ranked.c.notice_uid).where(ranked.c.rank > top_k)
            ).tuples()
        )
        for part in _chunks(beyond):
            removed += _count(s.execute(delete(MatchRow).where(key.in_(part))))
    return removed


def replace_suggestions(
    records: Records,
    suggestions: Sequence[GroupedBidSuggestion],
    *,
    notices: Collection[str],
    open_notices: Collection[str],
) -> None:
    """The grouped-bid suggestions of `notices` become `suggestions` (a notice without one now
    loses its old one), and suggestions of notices no longer open go, in one transaction."""
    now = utcnow()
    with records.session() as s:
        stored = set(s.scalars(select(SuggestionRow.notice_uid)))
        gone = (stored & set(notices)) | (stored - set(open_notices))
        for part in _chunks(sorted(gone)):
            s.execute(delete(SuggestionRow).where(SuggestionRow.notice_uid.in_(part)))
        rows = [
            {"notice_uid": x.notice_uid, "payload": x.model_dump(mode="json"), "computed_at": now}
            for x in suggestions
        ]
        for start in range(0, len(rows), 5_000):
            upsert(s, SuggestionRow, rows[start : start + 5_000])


def _count(result: Any) -> int:
    """Rows a DELETE removed (`rowcount` is on the cursor result, not in the typed API)."""
    return int(getattr(result, "rowcount", 0) or 0)


def record_run(records: Records, started_at: datetime, mode: str, **counts: float) -> None:
    """Log one match run: mode (full | incremental) and what it scored."""
    with records.session() as s:
        s.add(MatchRunRow(started_at=started_at, mode=mode, **counts))


def last_runs(records: Records, limit: int = 10) -> list[dict[str, object]]:
    """The latest match runs, newest first."""
    with records.session() as s:
        rows = s.scalars(select(MatchRunRow).order_by(MatchRunRow.id.desc()).limit(limit))
        return [
            {
                "started_at": r.started_at,
                "mode": r.mode,
                "actors": r.actors,
                "notices": r.notices,
                "changed_actors": r.changed_actors,
                "new_notices": r.new_notices,
                "matches": r.matches,
                "seconds": r.seconds,
            }
            for r in rows
        ]
