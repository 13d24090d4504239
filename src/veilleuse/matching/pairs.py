"""The exact score, lots and reasons of one (actor, notice) pair, for the matcher's survivors.

The matrix pass of `matching.match` only bounds a pair's score; the pairs it keeps come here,
one by one, for the rules a matrix cannot hold (lots, reservations, lot deadlines) and for the
reasons. A run asks for tens of thousands of pairs, most of them several per actor and several
per notice, so what depends on one side only (an actor's stems, codes and description
fragments; a notice's codes, places and surface words) is computed once per run and kept here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.deadlines import is_past, start_of_day
from veilleuse.core.models import Actor, Notice, NoticeKind
from veilleuse.matching.cpv import LEVELS
from veilleuse.matching.explain import (
    actor_fragments,
    audience_fit,
    deadline_fields,
    reservation_fit,
    topic_reason_fields,
)
from veilleuse.matching.lexical import Lexicon, actor_words, keywords, notice_words, stems
from veilleuse.matching.lots import (
    COSINE_CEIL,
    COSINE_FLOOR,
    LotFit,
    notice_lot_sides,
    topic_score,
)
from veilleuse.matching.territory import territory_fit

LOT_MIN_TOPIC = 0.35  # a lot belongs to a match when its own topic fit reaches this


@dataclass
class _ActorSide:
    actor: Actor
    vector: np.ndarray
    codes: list[str]
    own: frozenset[str]
    fragments: list[tuple[str, frozenset[str]]]
    prefixes: list[tuple[int, float, frozenset[str]]]  # CPV prefixes per level, most specific first
    places: list[float] | None  # its territory value of each département of the run


@dataclass
class _NoticeSide:
    notice: Notice
    codes: list[str]
    departments: list[str]
    surface: dict[str, str] | None = None
    lots: list[tuple[frozenset[str], list[str]]] | None = None
    open_lots: dict[object, list[int]] = field(default_factory=dict)  # per actor family
    slots: dict[tuple[object, ...], tuple[str, float | None, dict[str, Any] | None]] = field(
        default_factory=dict
    )  # `_slot` without chosen lots, per actor family and legal form


@dataclass(slots=True)
class Scored:
    """A pair's exact score and what its reasons need; the reasons are built (`explain`) only
    for the pairs that make an actor's list, about half of those scored."""

    a: int
    n: int
    score: float
    components: dict[str, float]
    weights: tuple[float, ...]  # of the components, in their order
    chosen: list[LotFit]
    close: float
    notice_code: str | None
    departments: list[str]  # where its territory is judged
    slot_name: str
    slot_params: dict[str, Any] | None


def _rescale(cosine: float) -> float:
    """`lots.rescale` on one float, without NumPy's per-call cost (same operations)."""
    return min(1.0, max(0.0, (cosine - COSINE_FLOOR) / (COSINE_CEIL - COSINE_FLOOR)))


def _points(weights: tuple[float, ...], components: Iterable[float]) -> list[float]:
    """Each component's part of the score, out of 100 (weights normalised to sum to 1)."""
    den = sum(weights)
    return [100 * weight * value / den for weight, value in zip(weights, components, strict=True)]


def _prefix_levels(codes: list[str]) -> list[tuple[int, float, frozenset[str]]]:
    return [(length, value, frozenset(c[:length] for c in codes)) for length, value in LEVELS]


def _best_cpv(
    levels: list[tuple[int, float, frozenset[str]]], codes: list[str]
) -> tuple[float, str | None]:
    """`cpv.best_cpv_pair` (closeness and notice code) with the actor's prefixes as sets: the
    first notice code reaching the best level wins, as there."""
    best, best_code = 0.0, None
    for code in codes:
        for length, value, prefixes in levels:
            if value <= best:
                break
            if code[:length] in prefixes:
                best, best_code = value, code
                break
        if best == 1.0:
            break
    return best, best_code


class PairScorer:
    """Scores pairs of one run: `score(a, n)` is the exact score of actor row `a` and notice
    row `n` (or None), `explain` turns a kept one into its `Match` with reasons; what one side
    alone decides is computed on first use and kept."""

    def __init__(
        self,
        actors: list[Actor],
        notices: list[Notice],
        actor_vectors: np.ndarray,
        notice_vectors: np.ndarray,
        lot_vectors: dict[str, np.ndarray],
        notice_stems: list[frozenset[str]],
        lexicon: Lexicon,
        weights: MatchingSettings,
        today: date,
        min_topic: float,
        places: tuple[np.ndarray, dict[str, int]] | None = None,
    ) -> None:
        """`places`: the block pass's territory table (actor row × département column, the
        values of `territory_fit` for one département) and its columns, when it has one."""
        self.actors, self.notices = actors, notices
        self.places = places
        self.actor_vectors, self.notice_vectors = actor_vectors, notice_vectors
        self.lot_vectors, self.notice_stems = lot_vectors, notice_stems
        self.lexicon, self.w, self.today, self.min_topic = lexicon, weights, today, min_topic
        self.day_start = start_of_day(today)
        self._actors: dict[int, _ActorSide] = {}
        self._notices: dict[int, _NoticeSide] = {}

    def _actor(self, a: int) -> _ActorSide:
        side = self._actors.get(a)
        if side is None:
            actor = self.actors[a]
            codes = actor.cpv_codes()
            side = _ActorSide(
                actor,
                self.actor_vectors[a],
                codes,
                stems(actor_words(actor)),
                actor_fragments(actor),
                _prefix_levels(codes),
                None if self.places is None else [round(float(v), 1) for v in self.places[0][a]],
            )
            self._actors = {a: side}  # candidates come actor by actor: keep the current one
        return side

    def _notice(self, n: int) -> _NoticeSide:
        side = self._notices.get(n)
        if side is None:
            notice = self.notices[n]
            side = self._notices[n] = _NoticeSide(
                notice, notice.all_cpv(), notice.all_departments()
            )
        return side

    def score(self, a: int, n: int) -> Scored | None:
        """The exact score of one pair, without its reasons; None when it does not hold."""
        act, side = self._actor(a), self._notice(n)
        actor, notice, w = act.actor, side.notice, self.w
        semantic = _rescale(float(act.vector @ self.notice_vectors[n]))
        lexical = self.lexicon.similarity(act.own, self.notice_stems[n])
        close, notice_code = _best_cpv(act.prefixes, side.codes)
        has_cpv = bool(act.codes and side.codes)
        departments = side.departments
        chosen: list[LotFit] = []
        lot_vecs = self.lot_vectors.get(notice.uid)
        if lot_vecs is not None and len(lot_vecs):
            found = self._lots(act, side, lot_vecs)
            if found is None:
                return None
            chosen, lot_semantic, lexical_cap, open_cpv, lot_deps = found
            semantic = max(semantic, lot_semantic)
            if lexical_cap is not None:
                lexical = min(lexical, lexical_cap)
            if open_cpv is not None:
                close, notice_code, has_cpv = open_cpv
            departments = lot_deps or departments
        if topic_score(w, semantic, lexical, close, has_cpv) < self.min_topic:
            return None
        territory = self._territory(act, departments)
        if chosen or (territory == 0.0 and notice.kind is NoticeKind.FUNDING_CALL):
            slot_name, slot, slot_params = _slot(actor, notice, chosen, territory)
        else:  # without lots it depends on the actor's family and legal form only
            key = (actor.family, actor.legal_form)
            found_slot = side.slots.get(key)
            if found_slot is None:
                found_slot = side.slots[key] = _slot(actor, notice, chosen, territory)
            slot_name, slot, slot_params = found_slot
        if slot is None:
            return None
        components = {
            "semantic": round(semantic, 4),
            "lexical": round(lexical, 4),
            "cpv": round(close, 4),
            "territory": territory,
            slot_name: slot,
        }
        weights = (
            w.weight_semantic, w.weight_lexical, w.weight_cpv if has_cpv else 0.0,
            w.weight_territory, w.weight_reserved,
        )  # fmt: skip
        score = round(min(100.0, sum(_points(weights, components.values()))), 1)
        if score < w.min_score:
            return None
        return Scored(
            a, n, score, components, weights, chosen, close, notice_code, departments, slot_name,
            slot_params,
        )  # fmt: skip

    def explain(self, scored: Scored) -> dict[str, Any]:
        """The fields of a scored pair's `Match`, with its reasons as data (validated by the
        caller, in one call per match)."""
        act, side = self._actor(scored.a), self._notice(scored.n)
        actor, notice, components = act.actor, side.notice, scored.components
        points = dict(zip(components, _points(scored.weights, components.values()), strict=True))
        theirs = self.notice_stems[scored.n]
        if side.surface is None:
            side.surface = keywords(notice_words(notice))
        reasons = topic_reason_fields(
            actor, notice, scored.chosen, act.own & theirs, self.lexicon,
            points["semantic"] + points["lexical"], fragments=act.fragments,
            surface=side.surface, theirs=theirs,
        )  # fmt: skip
        if scored.close > 0 and scored.notice_code is not None:
            cpv_params = {"code": scored.notice_code, "closeness": scored.close}
            reasons.append({"code": "cpv", "params": cpv_params, "weight": points["cpv"]})
        place = territory_fit(actor, scored.departments)[1]
        reasons.append({"code": "territory", "params": place, "weight": points["territory"]})
        name = scored.slot_name
        if scored.slot_params:
            params = dict(scored.slot_params)
            reasons.append({"code": name, "params": params, "weight": points[name]})
        reasons.sort(key=lambda r: -r["weight"])
        deadline = deadline_fields(notice.deadline)
        if deadline:
            reasons.append(deadline)
        for r in reasons:
            r["weight"] = round(r["weight"], 1)
        return {
            "actor_id": actor.id,
            "notice_uid": notice.uid,
            "score": scored.score,
            "lot_ids": [f.lot.id for f in scored.chosen],
            "components": scored.components,
            "reasons": reasons,
        }

    def _territory(self, act: _ActorSide, departments: list[str]) -> float:
        """`territory_fit`'s value: the best of the départements' values in the actor's row of
        the table (0.5 for no place), else the rule itself."""
        if act.places is None or self.places is None:
            return territory_fit(act.actor, departments)[0]
        if not departments:
            return 0.5
        row, index = act.places, self.places[1]
        return max([row[index[d]] for d in departments])

    def _open_lots(self, act: _ActorSide, side: _NoticeSide) -> list[int]:
        """The lots an actor of this family may bid for (reservation) that are still open: both
        rules depend on the family and the notice only, so they are kept per family."""
        family = act.actor.family
        found = side.open_lots.get(family)
        if found is None:
            found = side.open_lots[family] = [
                i
                for i, lot in enumerate(side.notice.lots)
                if reservation_fit(act.actor, lot.reserved, lot.reserved_kinds, None)[0] is not None
                and not is_past(lot.deadline, self.day_start)
            ]
        return found

    def _lots(self, act: _ActorSide, side: _NoticeSide, lot_vecs: np.ndarray) -> Any:
        """The lots this actor may bid for and fits: (chosen, best lot semantic, lexical cap or
        None, (cpv, code, has_cpv) on the open lots or None, their départements); None when
        no lot holds. The fits are `lots.lot_fits`'s, computed for the open lots only."""
        notice, w = side.notice, self.w
        allowed = self._open_lots(act, side)
        if not allowed:
            return None
        if side.lots is None:
            side.lots = notice_lot_sides(notice)
        sims = lot_vecs @ act.vector  # `lots.rescale` in place (np.clip costs more per call)
        np.subtract(sims, COSINE_FLOOR, out=sims)
        np.divide(sims, COSINE_CEIL - COSINE_FLOOR, out=sims)
        np.minimum(np.maximum(sims, 0.0, out=sims), 1.0, out=sims)
        fits = []
        for i in allowed:
            lot, (lot_stems, places) = notice.lots[i], side.lots[i]
            lot_codes = lot.cpv or notice.cpv
            close = _best_cpv(act.prefixes, lot_codes)[0]
            lex = self.lexicon.similarity(act.own, lot_stems)
            terr = self._territory(act, places)
            sem = float(sims[i])
            topic = topic_score(w, sem, lex, close, bool(act.codes and lot_codes))
            fits.append(LotFit(lot, sem, lex, close, terr, topic, topic * (0.6 + 0.4 * terr)))
        lexical_cap, cpv = None, None
        if len(fits) < len(notice.lots):  # judge the subject on the lots the actor may bid for
            open_lots = [f.lot for f in fits]
            text = " ".join([notice.title, notice.description or ""])
            text += " ".join(f" {lot.title or ''} {lot.description or ''}" for lot in open_lots)
            lexical_cap = self.lexicon.similarity(act.own, stems(text))
            codes = [c for lot in open_lots for c in lot.cpv] or notice.cpv
            close, notice_code = _best_cpv(act.prefixes, codes)
            cpv = (close, notice_code, bool(act.codes and codes))
        fits.sort(key=lambda f: -f.topic)
        chosen = [f for f in fits if f.topic >= LOT_MIN_TOPIC]
        if not chosen and len(fits) < len(notice.lots):
            return None  # the lots it may bid for are not its trade; the others are reserved
        chosen = chosen or fits[:1]
        lot_deps = [d for f in chosen for d in f.lot.places.departments]
        semantic = max(f.semantic for f in chosen)
        return chosen, semantic, lexical_cap, cpv, list(dict.fromkeys(lot_deps))


def _slot(
    actor: Actor, notice: Notice, chosen: list[LotFit], territory: float
) -> tuple[str, float | None, dict[str, Any] | None]:
    """(component name, value or None when the pair is excluded, reason params)."""
    if notice.kind is NoticeKind.FUNDING_CALL:
        if territory == 0.0:
            return "audience", None, None  # a funder with a territory funds that territory
        slot, params = audience_fit(actor, notice.audiences)
        return "audience", slot, params
    if any(lot.reserved_kinds for lot in notice.lots):
        # reservations stated lot by lot: only the lots this actor would bid for count
        # (a notice-level flag then only summarises its lots)
        reserved = any(f.lot.reserved for f in chosen)
        kinds = [k for f in chosen for k in f.lot.reserved_kinds]
    else:
        reserved = notice.reserved or any(f.lot.reserved for f in chosen)
        kinds = list(notice.reserved_kinds) + [k for f in chosen for k in f.lot.reserved_kinds]
    slot, params = reservation_fit(actor, reserved, kinds, notice.social_clause)
    return "reserved", slot, params
