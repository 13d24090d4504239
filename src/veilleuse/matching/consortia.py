"""Grouped-bid (groupement momentané d'entreprises) suggestions, planned lot by lot.

A team is worth suggesting only when it answers a tender better than its best member alone:
`suggest_teams` searches 2–4 actors among the matched candidates (a greedy pool, then every
combination of that pool) for the best coverage × mean fit, nudged by proximity and by capacity
against the estimated value of each lot. Each lot goes to the member that fits it best; a second
member is added to a lot only when its value exceeds the first one's capacity. The lead
(mandataire) is the member carrying the largest share of the value, then the largest capacity.

Per-(actor, lot) fits come from `lot_fit_matrix`, which calls `lots.lot_fits`, so matching
and consortia judge a lot the same way. Single-lot tenders whose CPV codes span several groups
are split into one work unit per group ("scope broader than any single actor").
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core import geo
from veilleuse.core.models import (
    Actor,
    GroupedBidSuggestion,
    Lot,
    LotAssignment,
    Match,
    Notice,
    NoticeKind,
    Reason,
)
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.explain import activity_phrase
from veilleuse.matching.lexical import Lexicon, notice_words, stems
from veilleuse.matching.lots import lot_fits
from veilleuse.matching.matching import MatchInputs
from veilleuse.matching.territory import territory_fit

COVER_MIN = 0.4  # lot fit from which an actor is said to cover a lot
POOL_TOP = 6  # best-scoring candidates always in the search pool
POOL_MAX = 10  # pool size cap (C(10,2..4) = 375 teams at most)
TURNOVER_PER_STAFF = 45_000.0  # rough yearly revenue per employee when turnover is unknown
MARGIN = 1.05  # a team must beat the best single actor by 5 %
SOLO_MARGIN = 1.2  # … and by 20 % when that actor could carry every lot alone


def work_units(notice: Notice) -> list[Lot]:
    """The parts a team splits: the lots (≥ 2), else one pseudo-lot per distinct CPV group."""
    if len(notice.lots) >= 2:
        return list(notice.lots)
    groups: dict[str, str] = {}
    for code in notice.all_cpv():
        groups.setdefault(code[:3], code)
    if len(groups) < 2:
        return []
    return [
        Lot(id=f"cpv-{code}", title=cpvmod.cpv_label(code) or code, cpv=[code])
        for code in groups.values()
    ]


def lot_fit_matrix(
    inputs: MatchInputs,
    notice: Notice,
    weights: MatchingSettings,
    *,
    actor_ids: Iterable[str] | None = None,
    lexicon: Lexicon | None = None,
) -> dict[tuple[str, str], float]:
    """(actor id, lot id) → fit in 0..1 for the work units of `notice`, as matching sees them."""
    units = work_units(notice)
    if not units:
        return {}
    wanted = set(actor_ids) if actor_ids is not None else None
    lexicon = lexicon or Lexicon.from_texts([notice_words(notice)])
    position = {n.uid: i for i, n in enumerate(inputs.notices)}
    vectors = inputs.lot_vectors.get(notice.uid)
    if vectors is None or len(vectors) != len(notice.lots):
        row = inputs.notice_vectors[position[notice.uid]] if notice.uid in position else None
        vectors = None if row is None else np.repeat(row[None, :], len(notice.lots), axis=0)
    out: dict[tuple[str, str], float] = {}
    for index, actor in enumerate(inputs.actors):
        if wanted is not None and actor.id not in wanted:
            continue
        if units[0].id.startswith("cpv-"):  # pseudo-lots: CPV closeness lowered by distance
            terr = territory_fit(actor, notice.all_departments())[0]
            for unit in units:
                close = cpvmod.best_cpv_pair(actor.cpv_codes(), unit.cpv)[0]
                out[(actor.id, unit.id)] = close * (0.6 + 0.4 * terr)
        elif vectors is not None:
            for fit in lot_fits(
                actor, inputs.actor_vectors[index], notice, vectors, weights, lexicon
            ):
                out[(actor.id, fit.lot.id)] = fit.fit
    return out


@dataclass
class _Team:
    members: tuple[str, ...]
    assignments: dict[str, list[str]]  # lot id → actor ids (first = main)
    coverage: float
    mean_fit: float
    score: float
    close: bool


def _capacity(actor: Actor) -> float | None:
    if actor.capacity.turnover:
        return actor.capacity.turnover
    if actor.capacity.staff:
        return actor.capacity.staff * TURNOVER_PER_STAFF
    return None


def _close(a: Actor, b: Actor) -> bool:
    own, other = set(a.territory.departments), set(b.territory.departments)
    return bool(own & other) or any(other & geo.neighbours(d) for d in own)


def _evaluate(
    members: Sequence[str],
    units: Sequence[Lot],
    values: dict[str, float],
    fit: dict[tuple[str, str], float],
    actors: dict[str, Actor],
) -> _Team | None:
    assignments: dict[str, list[str]] = {}
    capacity_ok = 0.0
    for unit in units:
        able = sorted(
            (m for m in members if fit.get((m, unit.id), 0.0) >= COVER_MIN),
            key=lambda m: -fit[(m, unit.id)],
        )
        if not able:
            continue
        chosen = [able[0]]
        room = _capacity(actors[able[0]])
        need = unit.estimated_value.amount if unit.estimated_value else None
        for extra in able[1:]:
            if room is None or need is None or room >= need:
                break
            chosen.append(extra)
            room += _capacity(actors[extra]) or 0.0
        assignments[unit.id] = chosen
        if room is None or need is None or room >= need:
            capacity_ok += values[unit.id]
    if not assignments or any(not any(m in c for c in assignments.values()) for m in members):
        return None  # a member with nothing to do is not a member
    total = sum(values.values())
    covered = sum(values[u] for u in assignments)
    coverage = covered / total
    mean_fit = sum(fit[(c[0], u)] for u, c in assignments.items()) / len(assignments)
    pairs = list(itertools.combinations(members, 2))
    close = all(_close(actors[a], actors[b]) for a, b in pairs)
    near_share = sum(_close(actors[a], actors[b]) for a, b in pairs) / len(pairs) if pairs else 1
    score = coverage * mean_fit * (0.85 + 0.15 * near_share) * (0.8 + 0.2 * capacity_ok / covered)
    return _Team(tuple(members), assignments, coverage, mean_fit, score, close)


def _values(units: Sequence[Lot]) -> dict[str, float]:
    """Estimated value per unit; unknown ones count as the mean of the known (or 1 each)."""
    known = [u.estimated_value.amount for u in units if u.estimated_value]
    default = sum(known) / len(known) if known else 1.0
    return {u.id: (u.estimated_value.amount if u.estimated_value else default) for u in units}


def suggest_teams(
    notice: Notice,
    matches_for_notice: list[Match],
    actors: dict[str, Actor],
    lot_fit: dict[tuple[str, str], float],
    max_team_size: int = 4,
) -> GroupedBidSuggestion | None:
    """The best team for `notice`, or None when no team beats the best single actor."""
    units = work_units(notice)
    ranked = [m.actor_id for m in sorted(matches_for_notice, key=lambda m: -m.score)]
    ranked = [a for a in dict.fromkeys(ranked) if a in actors]
    if len(units) < 2 or not ranked:
        return None
    values = _values(units)
    pool = ranked[:POOL_TOP]
    for unit in units:  # greedy: make sure each lot's best fitting candidates are in the pool
        top = sorted(ranked, key=lambda a: -lot_fit.get((a, unit.id), 0.0))[:2]
        pool += [a for a in top if a not in pool and lot_fit.get((a, unit.id), 0.0) >= COVER_MIN]
    pool = pool[:POOL_MAX]
    singles = [t for a in pool if (t := _evaluate([a], units, values, lot_fit, actors))]
    best_single = max(singles, key=lambda t: t.score, default=None)
    # an actor able to carry every lot alone yields only to a team that fits much better
    # (each lot to its specialist); the digest then shows both, so the gain is visible
    margin = MARGIN
    if best_single and best_single.coverage >= 0.999 and _carries_all(best_single, units, actors):
        margin = SOLO_MARGIN
    teams = [
        team
        for size in range(2, max(2, max_team_size) + 1)
        for combo in itertools.combinations(pool, size)
        if (team := _evaluate(combo, units, values, lot_fit, actors))
    ]
    best = max(teams, key=lambda t: (t.score, -len(t.members)), default=None)
    single_score = best_single.score if best_single else 0.0
    if best is None or best.score <= single_score * margin:
        return None
    return _suggestion(notice, best, best_single, units, values, actors, lot_fit)


def _carries_all(team: _Team, units: Sequence[Lot], actors: dict[str, Actor]) -> bool:
    room = _capacity(actors[team.members[0]])
    need = sum(u.estimated_value.amount for u in units if u.estimated_value)
    return room is None or room >= need


def _lead(team: _Team, values: dict[str, float], actors: dict[str, Actor]) -> str:
    def key(actor_id: str) -> tuple[float, int, float]:
        carried = sum(values[u] for u, c in team.assignments.items() if c[0] == actor_id)
        lots = sum(1 for c in team.assignments.values() if c[0] == actor_id)
        return (carried, lots, _capacity(actors[actor_id]) or 0.0)

    return max(team.members, key=key)


def _suggestion(
    notice: Notice,
    team: _Team,
    single: _Team | None,
    units: Sequence[Lot],
    values: dict[str, float],
    actors: dict[str, Actor],
    fit: dict[tuple[str, str], float],
) -> GroupedBidSuggestion:
    lead = _lead(team, values, actors)
    by_id = {u.id: u for u in units}
    assignments: list[LotAssignment] = []
    for unit_id, chosen in team.assignments.items():
        unit = by_id[unit_id]
        for rank, actor_id in enumerate(chosen):
            actor = actors[actor_id]
            activity = activity_phrase(actor, stems(f"{unit.title or ''} {unit.description or ''}"))
            value = float(fit[(actor_id, unit_id)])
            why = Reason(
                code="assignment",
                params={
                    "actor_id": actor_id,
                    "name": actor.name,
                    "activity": activity,
                    "fit": value,
                    "place": _whereabouts(actor),
                    "reinforcement": rank > 0,
                },
                weight=round(100 * value, 1),
            )
            assignments.append(
                LotAssignment(lot_id=unit_id, actor_id=actor_id, fit=round(value, 3), why=why)
            )
    reasons = [_coverage_reason(team, units)]
    if single is not None:
        reasons.append(_coverage_reason(single, units, actors[single.members[0]]))
    carried = sum(1 for c in team.assignments.values() if c[0] == lead)
    lead_actor = actors[lead]
    lead_params = {
        "actor_id": lead,
        "name": lead_actor.name,
        "lots": carried,
        "staff": lead_actor.capacity.staff,
    }
    reasons.append(Reason(code="lead", params=lead_params))
    places = [_whereabouts(actors[m]) for m in team.members]
    reasons.append(Reason(code="proximity", params={"close": team.close, "places": places}))
    members = [lead, *(m for m in team.members if m != lead)]
    return GroupedBidSuggestion(
        notice_uid=notice.uid,
        members=members,
        lead=lead,
        assignments=assignments,
        coverage=round(team.coverage, 4),
        score=round(100 * team.score, 1),
        best_single_actor=single.members[0] if single else None,
        best_single_score=round(100 * single.score, 1) if single else 0.0,
        reasons=reasons,
    )


def _coverage_reason(team: _Team, units: Sequence[Lot], alone: Actor | None = None) -> Reason:
    """How many units the team (or, with `alone`, that best single actor) covers."""
    valued = any(u.estimated_value for u in units)
    params: dict[str, object] = {
        "covered": len(team.assignments),
        "units": len(units),
        "share": team.coverage if valued else None,
    }
    if alone is not None:
        params |= {"actor_id": alone.id, "name": alone.name}
    return Reason(code="coverage", params=params, weight=round(100 * team.coverage, 1))


def _whereabouts(actor: Actor) -> dict[str, str | None]:
    deps = actor.territory.departments
    return {"department": deps[0] if deps else None, "commune": actor.territory.commune}


# --------------------------------------------------------------------------- funding calls


@dataclass(frozen=True)
class Partner:
    """A suggested partner for answering a funding call together."""

    actor_id: str
    score: float
    #: `Reason(code="partner", …)`, worded by `matching.reasons.reason_text`
    why: Reason


def suggest_partners(
    notice: Notice, matches: list[Match], actors: dict[str, Actor], k: int = 3
) -> dict[str, list[Partner]]:
    """For each actor matched to a funding call, up to k matched partners of another family
    and, preferably, the same or a neighbouring territory ("collectif de réponse")."""
    if notice.kind is not NoticeKind.FUNDING_CALL:
        return {}
    scores = {
        m.actor_id: m.score for m in matches if m.notice_uid == notice.uid and m.actor_id in actors
    }
    out: dict[str, list[Partner]] = {}
    for actor_id in scores:
        me = actors[actor_id]
        found: list[Partner] = []
        for other_id, other_score in scores.items():
            if other_id == actor_id:
                continue
            other = actors[other_id]
            complementary = other.family != me.family
            near = _close(me, other)
            value = round(other_score * (1.0 if complementary else 0.6) * (1.0 if near else 0.7), 1)
            why = Reason(
                code="partner",
                params={
                    "actor_id": other_id,
                    "name": other.name,
                    "family": other.family.value,
                    "place": _whereabouts(other),
                    "complementary": complementary,
                    "near": near,
                },
                weight=value,
            )
            found.append(Partner(other_id, value, why))
        out[actor_id] = sorted(found, key=lambda p: -p.score)[:k]
    return out


def suggest_grouped_bids(
    inputs: MatchInputs,
    matches: list[Match],
    weights: MatchingSettings,
    lexicon: Lexicon | None = None,
) -> list[GroupedBidSuggestion]:
    """One pass over a run's matches: a suggestion for every tender where a team wins.
    `lexicon` (default: word rarity over `inputs.notices`) lets an incremental run that looks
    at a few notices weigh words by every open notice, as a full run does."""
    by_notice: dict[str, list[Match]] = {}
    for m in matches:
        by_notice.setdefault(m.notice_uid, []).append(m)
    actors = {a.id: a for a in inputs.actors}
    if lexicon is None:
        lexicon = Lexicon.from_texts([notice_words(n) for n in inputs.notices])
    out = []
    for notice in inputs.notices:
        found = by_notice.get(notice.uid, [])
        if notice.kind is NoticeKind.FUNDING_CALL or len(found) < 2 or not work_units(notice):
            continue
        fit = lot_fit_matrix(
            inputs, notice, weights, actor_ids=[m.actor_id for m in found], lexicon=lexicon
        )
        suggestion = suggest_teams(notice, found, actors, fit, weights.max_team_size)
        if suggestion is not None:
            out.append(suggestion)
    return out
