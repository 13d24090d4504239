"""Match stage: new or changed notices × every active actor, changed actors × open notices.

The first run (or `full=True`) scores every active actor against every open notice. Later runs
score only what changed since (`matching.incremental`): a notice whose content hash changed, an
actor whose profile changed, everything after a change of weights or model. Stored matches of
unchanged pairs stand; a notice closed or past its deadline is neither scored nor kept.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from veilleuse.app.context import Context
from veilleuse.app.territory_teams import suggest_within_territories
from veilleuse.core.models import (
    Actor,
    GroupedBidSuggestion,
    Match,
    Notice,
    NoticeKind,
    NoticeStatus,
)
from veilleuse.matching.cold_start import with_suggested_cpv
from veilleuse.matching.incremental import MatchPlan, matching_version, plan_run
from veilleuse.matching.lexical import Lexicon, notice_words, stems
from veilleuse.matching.matching import is_open, match, prepare_inputs
from veilleuse.records import actors as actor_records
from veilleuse.records import match_state
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
    mode: str = "full"  # full | incremental
    new_notices: int = 0  # new or changed notices, scored against every actor
    changed_actors: int = 0  # changed actors, scored against the other open notices
    removed: int = 0  # stored matches dropped (closed notices, inactive actors, beyond top_k)


def with_cold_start(ctx: Context, actors: list[Actor]) -> list[Actor]:
    """Actors without declared CPV interests get codes suggested from past awards (to confirm)."""
    if all(a.cpv_interests for a in actors):
        return actors
    awards = list(ctx.store.iter_notices(Filters(kinds=[NoticeKind.AWARD])))
    return [with_suggested_cpv(a, awards) for a in actors]


def match_stage(ctx: Context, now: datetime | None = None, *, full: bool = False) -> MatchRunReport:
    """Score what changed since the last run (everything on the first run or with `full`)."""
    started = time.perf_counter()
    now = now or ctx.now()
    records, settings = ctx.records, ctx.settings.matching
    today = now.date()
    filters = Filters(kinds=MATCHABLE_KINDS, statuses=[NoticeStatus.OPEN])
    notices = [n for n in ctx.store.iter_notices(filters) if is_open(n, today)]
    actors = with_cold_start(ctx, actor_records.list_actors(records))
    rejected = match_records.rejected_pairs(records)
    version = matching_version(settings, ctx.embedder.name)
    plan = plan_run(
        notices,
        actors,
        version,
        match_state.scored_hashes(records, "notice"),
        match_state.scored_hashes(records, "actor"),
        full=full,
    )
    found, suggestions = _score(ctx, plan, actors, notices, rejected, now)
    changed, fresh = {a.id for a in plan.changed_actors}, {n.uid for n in plan.new_notices}
    if plan.full:
        match_records.reset_matches(records)
        changed, fresh = set(), set()
    match_state.replace_matches(records, found, actors=changed, notices=fresh)
    match_records.save_suggestions(records, suggestions)
    removed = match_state.prune_matches(
        records,
        open_notices=plan.notice_keys.keys(),
        active_actors=plan.actor_keys.keys(),
        rejected=rejected,
        top_k=settings.top_k,
    )
    _remember(ctx, plan)
    report = MatchRunReport(
        len(actors),
        len(notices),
        len(found),
        len(suggestions),
        time.perf_counter() - started,
        "full" if plan.full else "incremental",
        len(plan.new_notices),
        len(plan.changed_actors),
        removed,
    )
    match_state.record_run(
        records,
        now,
        report.mode,
        actors=report.actors,
        notices=report.notices,
        changed_actors=report.changed_actors,
        new_notices=report.new_notices,
        matches=report.matches,
        seconds=report.seconds,
    )
    return report


def _score(
    ctx: Context,
    plan: MatchPlan,
    actors: list[Actor],
    notices: list[Notice],
    rejected: set[tuple[str, str]],
    now: datetime,
) -> tuple[list[Match], list[GroupedBidSuggestion]]:
    """New notices × every actor (with their grouped-bid suggestions), then changed actors ×
    the other open notices; word rarity over every open notice in both."""
    settings, today = ctx.settings.matching, now.date()
    if not plan.new_notices and not (plan.changed_actors and plan.other_notices):
        return [], []
    lexicon = Lexicon.from_stem_sets([stems(notice_words(n)) for n in notices])
    found: list[Match] = []
    suggestions: list[GroupedBidSuggestion] = []
    if plan.new_notices and actors:
        inputs = prepare_inputs(actors, plan.new_notices, ctx.embedder)
        floors = {} if plan.full else _floors(ctx, plan, rejected)
        fresh = match(
            inputs, settings, today=today, rejected=rejected, lexicon=lexicon, floors=floors
        )
        suggestions = suggest_within_territories(ctx, inputs, fresh)
        found.extend(fresh)
    if plan.changed_actors and plan.other_notices:
        inputs = prepare_inputs(plan.changed_actors, plan.other_notices, ctx.embedder)
        found.extend(match(inputs, settings, today=today, rejected=rejected, lexicon=lexicon))
    return found, suggestions


def _floors(ctx: Context, plan: MatchPlan, rejected: set[tuple[str, str]]) -> dict[str, float]:
    """Per unchanged actor holding `top_k` matches on notices that stay as they are, its k-th
    best score: a new notice scoring under it would be trimmed anyway."""
    top_k = ctx.settings.matching.top_k
    changed = {a.id for a in plan.changed_actors}
    kept = {n.uid for n in plan.other_notices}
    scores: dict[str, list[float]] = {}
    for actor_id, uid, score in match_state.stored_scores(ctx.records):
        if actor_id not in changed and uid in kept and (actor_id, uid) not in rejected:
            scores.setdefault(actor_id, []).append(score)
    return {
        actor_id: sorted(values, reverse=True)[top_k - 1]
        for actor_id, values in scores.items()
        if len(values) >= top_k
    }


def _remember(ctx: Context, plan: MatchPlan) -> None:
    """Record the keys scored: new notices, changed actors; forget notices no longer open."""
    records = ctx.records
    match_state.mark_scored(
        records, "notice", {n.uid: plan.notice_keys[n.uid] for n in plan.new_notices}
    )
    match_state.mark_scored(
        records, "actor", {a.id: plan.actor_keys[a.id] for a in plan.changed_actors}
    )
    scored = match_state.scored_hashes(records, "notice")
    match_state.forget_scored(records, "notice", scored.keys() - plan.notice_keys.keys())
    actors = match_state.scored_hashes(records, "actor")
    match_state.forget_scored(records, "actor", actors.keys() - plan.actor_keys.keys())
