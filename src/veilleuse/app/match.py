"""Match stage: every active actor × every open notice → matches and grouped-bid suggestions."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from veilleuse.app.context import Context
from veilleuse.app.territory_teams import suggest_within_territories
from veilleuse.core.models import Actor, NoticeKind, NoticeStatus
from veilleuse.matching.cold_start import with_suggested_cpv
from veilleuse.matching.matching import match, prepare_inputs
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.search.store import Filters

MATCHABLE_KINDS = [NoticeKind.TENDER, NoticeKind.PIN, NoticeKind.FUNDING_CALL]


@dataclass
class MatchRunReport:
    actors: int
    notices: int
    matches: int
    suggestions: int
    seconds: float


def with_cold_start(ctx: Context, actors: list[Actor]) -> list[Actor]:
    """Actors without declared CPV interests get codes suggested from past awards (to confirm)."""
    if all(a.cpv_interests for a in actors):
        return actors
    awards = list(ctx.store.iter_notices(Filters(kinds=[NoticeKind.AWARD])))
    return [with_suggested_cpv(a, awards) for a in actors]


def match_stage(ctx: Context, now: datetime | None = None) -> MatchRunReport:
    """Recompute matches for every active actor over every open notice; store them."""
    started = time.perf_counter()
    now = now or ctx.now()
    records = ctx.records
    notices = list(
        ctx.store.iter_notices(Filters(kinds=MATCHABLE_KINDS, statuses=[NoticeStatus.OPEN]))
    )
    actors = with_cold_start(ctx, actor_records.list_actors(records))
    inputs = prepare_inputs(actors, notices, ctx.embedder)
    rejected = match_records.rejected_pairs(records)
    matches = match(inputs, ctx.settings.matching, today=now.date(), rejected=rejected)
    suggestions = suggest_within_territories(ctx, inputs, matches)
    match_records.reset_matches(records)
    match_records.save_matches(records, matches)
    match_records.save_suggestions(records, suggestions)
    return MatchRunReport(
        len(actors), len(notices), len(matches), len(suggestions), time.perf_counter() - started
    )
