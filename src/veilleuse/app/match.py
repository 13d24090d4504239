"""Match stage: new or changed notices × every active actor, changed actors × open notices.

The first run (or `full=True`) scores every active actor against every open notice. Later runs
score only what changed since (`matching.incremental`): a notice whose content hash changed, an
actor whose profile (or territory) changed, everything after a change of weights
or model. Stored matches of unchanged pairs stand; a notice closed or past its deadline is
neither scored nor kept; an actor whose full list loses a match is scored again against every
open notice, so the notices just below its list come back as in a full run. Grouped-bid
suggestions are made again for every notice whose matches changed. One run at a time: a run
started while another holds the lock scores nothing (`mode` "skipped").
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime

from veilleuse.app.context import Context
from veilleuse.app.run_lock import exclusive
from veilleuse.app.territories import territories_of_actors
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
from veilleuse.matching.consortia import work_units
from veilleuse.matching.incremental import (
    MatchPlan,
    actor_extras,
    actors_to_refill,
    matching_version,
    plan_run,
    touched_notices,
)
from veilleuse.matching.lexical import Lexicon, notice_words, stems
from veilleuse.matching.matching import MatchInputs, is_open, match, prepare_inputs
from veilleuse.matching.workers import worker_count
from veilleuse.records import actors as actor_records
from veilleuse.records import match_state
from veilleuse.records import matches as match_records
from veilleuse.search.store import Filters

MATCHABLE_KINDS = [NoticeKind.TENDER, NoticeKind.PIN, NoticeKind.FUNDING_CALL]
LOCK = "match"  # held by every match run: two runs at once would interleave their writes
Scored = list[tuple[str, str, float]]  # (actor, notice, score) of stored matches


@dataclass
class MatchRunReport:
    actors: int
    notices: int
    matches: int
    suggestions: int
    seconds: float
    mode: str = "full"  # full | incremental | skipped (another run held the lock)
    new_notices: int = 0  # new or changed notices, scored against every actor
    changed_actors: int = 0  # changed or refilled actors, scored against every open notice
    removed: int = 0  # stored matches dropped (closed notices, inactive actors, beyond top_k)
    refilled: int = 0  # of `changed_actors`, unchanged actors whose full list lost a match


def with_cold_start(ctx: Context, actors: list[Actor]) -> list[Actor]:
    """Actors without declared CPV interests get codes suggested from past awards (to confirm)."""
    if all(a.cpv_interests for a in actors):
        return actors
    awards = list(ctx.store.iter_notices(Filters(kinds=[NoticeKind.AWARD])))
    return [with_suggested_cpv(a, awards) for a in actors]


def match_stage(ctx: Context, now: datetime | None = None, *, full: bool = False) -> MatchRunReport:
    """Score what changed since the last run (everything on the first run or with `full`)."""
    return exclusive(
        ctx,
        LOCK,
        lambda: _run(ctx, now or ctx.now(), full),
        lambda: MatchRunReport(0, 0, 0, 0, 0.0, "skipped"),
    )


def _run(ctx: Context, now: datetime, full: bool) -> MatchRunReport:
    started = time.perf_counter()
    records, settings = ctx.records, ctx.settings.matching
    today = now.date()
    filters = Filters(kinds=MATCHABLE_KINDS, statuses=[NoticeStatus.OPEN])
    notices = [n for n in ctx.store.iter_notices(filters) if is_open(n, today)]
    actors = with_cold_start(ctx, actor_records.list_actors(records))
    rejected = match_records.rejected_pairs(records)
    plan, before = _plan(ctx, notices, actors, rejected, today, full)
    lexicon = Lexicon.from_stem_sets([stems(notice_words(n)) for n in notices])
    found, inputs = _score(ctx, plan, notices, before, rejected, today, lexicon)
    changed, fresh = {a.id for a in plan.changed_actors}, {n.uid for n in plan.new_notices}
    if plan.full:
        match_records.reset_matches(records)
        changed, fresh = set(), set()
    match_state.replace_matches(records, found, actors=changed, notices=fresh)
    removed = match_state.prune_matches(
        records,
        open_notices=plan.notice_keys.keys(),
        active_actors=plan.actor_keys.keys(),
        rejected=rejected,
        top_k=settings.top_k,
    )
    suggestions = _suggest(ctx, plan, before, found, inputs, lexicon)
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
        plan.refilled,
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


def _plan(
    ctx: Context,
    notices: list[Notice],
    actors: list[Actor],
    rejected: set[tuple[str, str]],
    today: date,
    full: bool,
) -> tuple[MatchPlan, Scored]:
    """What the run scores, and the stored scores before it (none for a full run): changed
    keys, actors to refill, and a full run when that is cheaper."""
    records, settings = ctx.records, ctx.settings.matching
    homes = territories_of_actors(ctx, [a.id for a in actors])
    plan = plan_run(
        notices,
        actors,
        matching_version(settings, ctx.embedder.name),
        match_state.scored_hashes(records, "notice"),
        match_state.scored_hashes(records, "actor"),
        full=full,
        today=today,
        extras=actor_extras(homes),
    )
    before: Scored = [] if plan.full else match_state.stored_scores(records)
    plan = plan.with_refilled(actors_to_refill(plan, before, rejected, settings.top_k))
    if not plan.full and plan.cheaper_in_full:
        plan = plan.as_full()
    return plan, before


def _score(
    ctx: Context,
    plan: MatchPlan,
    notices: list[Notice],
    stored: Scored,
    rejected: set[tuple[str, str]],
    today: date,
    lexicon: Lexicon,
) -> tuple[list[Match], MatchInputs | None]:
    """New notices × the unchanged actors (above their floors), then changed and refilled
    actors × every open notice, in the store's order as in a full run; word rarity over every
    open notice in both. Also returns the inputs of the second pass (every actor × every open
    notice in a full run, for its suggestions)."""
    settings = ctx.settings.matching
    workers = worker_count(ctx.settings.flows.match_workers)
    changed = {a.id for a in plan.changed_actors}
    rest = [a for a in plan.actors if a.id not in changed]
    found: list[Match] = []
    if plan.new_notices and rest:
        inputs = prepare_inputs(rest, plan.new_notices, ctx.embedder)
        floors = _floors(ctx, plan, stored, rejected)
        fresh = match(
            inputs, settings, today=today, rejected=rejected, lexicon=lexicon, floors=floors,
            workers=workers,
        )  # fmt: skip
        found.extend(fresh)
    if not (plan.changed_actors and notices):
        return found, None
    inputs = prepare_inputs(plan.changed_actors, notices, ctx.embedder)
    found.extend(
        match(inputs, settings, today=today, rejected=rejected, lexicon=lexicon, workers=workers)
    )
    return found, inputs


def _floors(
    ctx: Context, plan: MatchPlan, stored: Scored, rejected: set[tuple[str, str]]
) -> dict[str, float]:
    """Per unchanged actor holding `top_k` matches on notices that stay as they are, its k-th
    best score: a new notice scoring under it would be trimmed anyway."""
    top_k = ctx.settings.matching.top_k
    changed = {a.id for a in plan.changed_actors}
    kept = {n.uid for n in plan.other_notices}
    scores: dict[str, list[float]] = {}
    for actor_id, uid, score in stored:
        if actor_id not in changed and uid in kept and (actor_id, uid) not in rejected:
            scores.setdefault(actor_id, []).append(score)
    return {
        actor_id: sorted(values, reverse=True)[top_k - 1]
        for actor_id, values in scores.items()
        if len(values) >= top_k
    }


def _suggest(
    ctx: Context,
    plan: MatchPlan,
    before: Scored,
    found: list[Match],
    inputs: MatchInputs | None,
    lexicon: Lexicon,
) -> list[GroupedBidSuggestion]:
    """Grouped-bid suggestions from the stored matches of every notice whose matches changed
    (every open notice in a full run), as a full run makes them; the others keep theirs. A
    team needs only who matched and how well: the (actor, notice, score) rows, in actor order
    in both kinds of run (the order breaks ties between territories' teams)."""
    records, open_uids = ctx.records, plan.notice_keys.keys()
    if plan.full:
        touched = set(open_uids)
        scored = [(m.actor_id, m.notice_uid, m.score) for m in found]
    else:
        scored = match_state.stored_scores(records)
        touched = touched_notices(plan, before, scored) & open_uids
    count = Counter(uid for _, uid, _ in scored)
    teams = [
        n
        for n in plan.new_notices + plan.other_notices
        if n.uid in touched and count[n.uid] >= 2
        and n.kind is not NoticeKind.FUNDING_CALL and work_units(n)
    ]  # fmt: skip
    uids = {n.uid for n in teams}
    matches = [
        Match.model_construct(actor_id=actor_id, notice_uid=uid, score=score)
        for actor_id, uid, score in sorted(scored)
        if uid in uids
    ]
    if not matches:
        inputs = None
    elif inputs is None or not plan.full:
        held = {m.actor_id for m in matches}
        involved = [a for a in plan.actors if a.id in held]
        inputs = prepare_inputs(involved, teams, ctx.embedder)
    suggestions = suggest_within_territories(ctx, inputs, matches, lexicon) if inputs else []
    match_state.replace_suggestions(records, suggestions, notices=touched, open_notices=open_uids)
    return suggestions


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
