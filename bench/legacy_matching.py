"""The matcher as of commit b48ae22 (issue 14), frozen as the baseline of `bench_matching.py`.

Not used by the product: the benchmark runs it beside `veilleuse.matching.matching` to measure
the speed-up and to check that both keep the same matches. Helpers it imports (`explain`,
`lots`, `lexical`) are the current ones, so any speed-up there also speeds this baseline.

Actor profiles × notices → scored matches that a small association can read and trust.

A score (0–100) is a weighted mean of five components, each in 0..1, with the weights of
`MatchingSettings`:
- semantic: cosine of the actor's and the notice's embeddings (and of its best lot), rescaled
  because any two French texts already share a MiniLM cosine of ~0.35;
- lexical: rarity-weighted cosine of folded French word stems (the model is English-trained and
  misses paraphrase, so words count on their own);
- cpv: closeness of CPV codes (`search.cpv`); left out of the mean when either side has none;
- territory: same département 1.0, within the actor's radius 0.8, neighbouring 0.6, national or
  unknown place 0.5, elsewhere 0;
- reserved / audience: a reservation the actor can answer (ESAT/EA, SIAE, ESS) or a social
  clause for tenders; for funding calls, whether the call's audiences include the actor.
Closed, cancelled, award and expired notices are never matched; a reservation or an audience the
actor cannot answer removes the pair, and so does a funding call located outside the actor's
territory (neither its département, its radius nor a neighbour) or a pair the actor rejected.

The A×N work is matrix products done in blocks of notices: semantic, lexical, CPV and territory
are exact for every pair, and the reservation component can only add up to what the notice
allows (nothing for a plain tender), so that sum is an upper bound. Per actor, candidates are evaluated in decreasing bound order and evaluation stops
when `top_k` matches are at least as good as the next bound; only those get Python work (lots,
reservations, reasons as data).

At scale, move actor vectors to Elasticsearch: index each profile as a document with a
`dense_vector` of `actor_text`, its départements and CPV prefixes; each newly indexed notice
(and each lot of a multi-lot notice) runs one kNN query on that index with the notice's
départements/neighbours and CPV divisions as a boolean `should`, takes the nearest few hundred
actors, and calls `match` on just those pairs. Cost then grows with new notices, not A×N.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.deadlines import effective_deadline, is_past, start_of_day
from veilleuse.core.embedder import Embedder
from veilleuse.core.models import Actor, Lot, Match, Notice, NoticeKind, NoticeStatus, Reason
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.explain import (
    audience_fit,
    deadline_reason,
    reservation_fit,
    territory_params,
    topic_reason_fields,
)
from veilleuse.matching.lexical import Lexicon, actor_words, notice_words, stems
from veilleuse.matching.lots import LotFit, lot_fits, rescale, topic_score
from veilleuse.matching.territory import territory_fit, territory_matrix


def topic_reasons(actor: Actor, notice: Notice, *args: Any, **given: Any) -> list[Reason]:
    """Adapter, not part of the frozen code: `explain.topic_reasons` became
    `topic_reason_fields` (plain fields); this gives the frozen code its `Reason` objects."""
    return [Reason(**f) for f in topic_reason_fields(actor, notice, *args, **given)]


LOT_MIN_TOPIC = 0.35  # a lot belongs to a match when its own topic fit reaches this
BLOCK = 1024  # notices per matrix block
ROUNDING = 0.05 + 1e-4  # scores are rounded to 0.1: 34.96 is kept as 35.0 (float32 bounds)
MATCHABLE = frozenset({NoticeKind.TENDER, NoticeKind.PIN, NoticeKind.FUNDING_CALL})


@dataclass
class MatchInputs:
    """What the matcher needs, prepared once per run (vectors are L2-normalised rows)."""

    actors: list[Actor]
    notices: list[Notice]
    actor_vectors: np.ndarray  # (A, d)
    notice_vectors: np.ndarray  # (N, d)
    lot_vectors: dict[str, np.ndarray] = field(default_factory=dict)  # uid → (L, d), ≥ 2 lots


def actor_text(actor: Actor) -> str:
    """What gets embedded for an actor: its CPV labels (short, on topic), then its description."""
    labels = [cpvmod.cpv_label(c) for c in actor.cpv_codes()]
    head = " ; ".join(label for label in labels if label)
    text = f"Activités : {head}. {actor.description}" if head else actor.description
    return re.sub(r"\s+", " ", text).strip()[:800]


def lot_text(lot: Lot, notice: Notice) -> str:
    """What gets embedded for a lot: its own words, with the notice title when they are few."""
    own = " — ".join(p for p in (lot.title, lot.description) if p)
    if len(own) < 60:
        own = " — ".join(p for p in (own, notice.title) if p)
    return own[:700]


def prepare_inputs(actors: list[Actor], notices: list[Notice], embedder: Embedder) -> MatchInputs:
    """Embed profiles, notices and the lots of multi-lot notices in three batched calls."""
    actor_vectors = embedder.encode([actor_text(a) for a in actors])
    notice_vectors = embedder.encode([n.text_for_embedding() for n in notices])
    multi = [n for n in notices if len(n.lots) >= 2]
    texts = [lot_text(lot, n) for n in multi for lot in n.lots]
    flat = embedder.encode(texts) if texts else np.zeros((0, actor_vectors.shape[1]))
    lot_vectors: dict[str, np.ndarray] = {}
    start = 0
    for notice in multi:
        lot_vectors[notice.uid] = flat[start : start + len(notice.lots)]
        start += len(notice.lots)
    return MatchInputs(actors, notices, actor_vectors, notice_vectors, lot_vectors)


def is_open(notice: Notice, today: date) -> bool:
    """Matchable today: an open tender, prior information or funding call whose deadline (its
    own, else its last lot's) was not past when `today` began, Paris time (`core.deadlines`)."""
    if notice.kind not in MATCHABLE or notice.status in {
        NoticeStatus.CLOSED,
        NoticeStatus.CANCELLED,
    }:
        return False
    return not is_past(effective_deadline(notice), start_of_day(today))


# --------------------------------------------------------------------------- the matcher


def match(
    inputs: MatchInputs,
    weights: MatchingSettings,
    *,
    today: date,
    rejected: Set[tuple[str, str]] = frozenset(),
    min_topic: float | None = None,
) -> list[Match]:
    """The best `top_k` matches per actor scoring at least `min_score`, best first per actor.

    `min_topic` (default: the `min_topic` setting) is the floor on the topical part (semantic,
    lexical, CPV) below which a pair is dropped whatever its place, so territory alone never
    makes a match; the evaluation lowers it to judge the ranking alone.
    """
    if min_topic is None:
        min_topic = weights.min_topic
    actors, notices = inputs.actors, inputs.notices
    if not actors or not notices:
        return []
    notice_stems = [stems(notice_words(n)) for n in notices]  # once: 20k texts outgrow the cache
    lexicon = Lexicon.from_stem_sets(notice_stems)
    actor_stem_sets = [stems(actor_words(a)) for a in actors]
    actor_codes = [a.cpv_codes() for a in actors]
    has_actor_cpv = np.array([bool(c) for c in actor_codes])
    actor_index = {a.id: i for i, a in enumerate(actors)}
    w = weights
    found: list[tuple[np.ndarray, ...]] = []  # per block: actor, notice, bound, partial arrays
    for start in range(0, len(notices), BLOCK):
        block = notices[start : start + BLOCK]
        sem = inputs.actor_vectors @ inputs.notice_vectors[start : start + len(block)].T
        for j, notice in enumerate(block):
            lots = inputs.lot_vectors.get(notice.uid)
            if lots is not None and len(lots):
                sem[:, j] = np.maximum(sem[:, j], (inputs.actor_vectors @ lots.T).max(axis=1))
        sem = rescale(sem)
        lex = lexicon.similarity_matrix(actor_stem_sets, notice_stems[start : start + len(block)])
        codes = [n.all_cpv() for n in block]
        close = cpvmod.closeness_matrix(actor_codes, codes)
        terr = territory_matrix(actors, [n.all_departments() for n in block])
        use_cpv = has_actor_cpv[:, None] & np.array([bool(c) for c in codes])[None, :]
        den = w.weight_semantic + w.weight_lexical + w.weight_territory + w.weight_reserved
        den = den + w.weight_cpv * use_cpv
        topical = w.weight_semantic * sem + w.weight_lexical * lex + w.weight_cpv * close * use_cpv
        topic = topical / (w.weight_semantic + w.weight_lexical + w.weight_cpv * use_cpv)
        partial = 100 * (topical + w.weight_territory * terr) / den
        ceiling = np.array([_slot_ceiling(n) for n in block])[None, :]
        bound = partial + 100 * w.weight_reserved * ceiling / den
        keep = (bound >= w.min_score - ROUNDING) & (topic >= min_topic)
        keep &= np.array([is_open(n, today) for n in block])[None, :]
        columns = {n.uid: j for j, n in enumerate(block)}
        for actor_id, uid in rejected:
            if actor_id in actor_index and uid in columns:
                keep[actor_index[actor_id], columns[uid]] = False
        rows, cols = (x.astype(np.int32) for x in np.nonzero(keep))
        found.append((rows, cols + start, bound[rows, cols], partial[rows, cols]))
    # Candidates stay in arrays (~16 bytes each; millions at 5,000 × 20,000), sorted per actor
    # by decreasing bound, then increasing partial score and notice order.
    rows, cols, bounds, partials = (np.concatenate(parts) for parts in zip(*found, strict=True))
    order = np.lexsort((cols, partials, -bounds, rows))
    rows, cols, bounds = rows[order], cols[order], bounds[order]
    if not len(rows):
        return []
    starts: list[int] = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]).tolist()
    out: list[Match] = []
    for first, last in zip(starts, [*starts[1:], len(rows)], strict=True):
        a = int(rows[first])
        kept: list[Match] = []
        for k in range(first, last):
            bound_value, n = float(bounds[k]), int(cols[k])
            if len(kept) >= w.top_k and kept[-1].score >= bound_value:
                break
            scored = _evaluate(inputs, a, n, w, lexicon, notice_stems[n], today, min_topic)
            if scored is not None:
                kept.append(scored)
                kept.sort(key=lambda m: -m.score)
                del kept[w.top_k :]
        out.extend(kept)
    return out


def _slot_ceiling(notice: Notice) -> float:
    """The most the reserved/audience component can give this notice (tightens the bound)."""
    if notice.kind is NoticeKind.FUNDING_CALL:
        return 1.0 if notice.audiences else 0.5
    if notice.reserved or notice.reserved_kinds:
        return 1.0
    if any(lot.reserved or lot.reserved_kinds for lot in notice.lots):
        return 1.0
    return 0.6 if notice.social_clause else 0.0


def _evaluate(
    inputs: MatchInputs,
    a: int,
    n: int,
    w: MatchingSettings,
    lexicon: Lexicon,
    theirs: frozenset[str],
    today: date,
    min_topic: float,
) -> Match | None:
    """The exact score, lots and reasons of one candidate pair; None when it does not hold."""
    actor, notice = inputs.actors[a], inputs.notices[n]
    vector = inputs.actor_vectors[a]
    semantic = float(rescale(float(vector @ inputs.notice_vectors[n])))
    own = stems(actor_words(actor))
    lexical = lexicon.similarity(own, theirs)
    close, _, notice_code = cpvmod.best_cpv_pair(actor.cpv_codes(), notice.all_cpv())
    has_cpv = bool(actor.cpv_codes() and notice.all_cpv())
    departments = notice.all_departments()
    chosen: list[LotFit] = []
    lot_vecs = inputs.lot_vectors.get(notice.uid)
    if lot_vecs is not None and len(lot_vecs):
        fits = [
            f for f in lot_fits(actor, vector, notice, lot_vecs, w, lexicon)
            if reservation_fit(actor, f.lot.reserved, f.lot.reserved_kinds, None)[0]
            is not None
            and not is_past(f.lot.deadline, start_of_day(today))
        ]  # fmt: skip
        if not fits:
            return None
        if len(fits) < len(notice.lots):  # judge the subject on the lots the actor may bid for
            open_lots = [f.lot for f in fits]
            text = " ".join([notice.title, notice.description or ""])
            text += " ".join(f" {lot.title or ''} {lot.description or ''}" for lot in open_lots)
            lexical = min(lexical, lexicon.similarity(own, stems(text)))
            codes = [c for lot in open_lots for c in lot.cpv] or notice.cpv
            close, _, notice_code = cpvmod.best_cpv_pair(actor.cpv_codes(), codes)
            has_cpv = bool(actor.cpv_codes() and codes)
        fits.sort(key=lambda f: -f.topic)
        chosen = [f for f in fits if f.topic >= LOT_MIN_TOPIC]
        if not chosen and len(fits) < len(notice.lots):
            return None  # the lots it may bid for are not its trade; the others are reserved
        chosen = chosen or fits[:1]
        semantic = max(semantic, max(f.semantic for f in chosen))
        lot_deps = [d for f in chosen for d in f.lot.places.departments]
        departments = list(dict.fromkeys(lot_deps)) or departments
    if topic_score(w, semantic, lexical, close, has_cpv) < min_topic:
        return None
    territory = territory_fit(actor, departments)[0]
    if notice.kind is NoticeKind.FUNDING_CALL and territory == 0.0:
        return None  # a funder with a territory funds that territory (neighbours may ask)
    if notice.kind is NoticeKind.FUNDING_CALL:
        slot, slot_params = audience_fit(actor, notice.audiences)
        slot_name = "audience"
    else:
        if any(lot.reserved_kinds for lot in notice.lots):
            # reservations stated lot by lot: only the lots this actor would bid for count
            # (a notice-level flag then only summarises its lots)
            reserved = any(f.lot.reserved for f in chosen)
            kinds = [k for f in chosen for k in f.lot.reserved_kinds]
        else:
            reserved = notice.reserved or any(f.lot.reserved for f in chosen)
            kinds = list(notice.reserved_kinds) + [k for f in chosen for k in f.lot.reserved_kinds]
        slot, slot_params = reservation_fit(actor, reserved, kinds, notice.social_clause)
        slot_name = "reserved"
    if slot is None:
        return None
    components = {
        "semantic": round(semantic, 4),
        "lexical": round(lexical, 4),
        "cpv": round(close, 4),
        "territory": territory,
        slot_name: slot,
    }
    weight_of = {
        "semantic": w.weight_semantic,
        "lexical": w.weight_lexical,
        "cpv": w.weight_cpv if has_cpv else 0.0,
        "territory": w.weight_territory,
        slot_name: w.weight_reserved,
    }
    den = sum(weight_of.values())
    points = {k: 100 * weight_of[k] * components[k] / den for k in components}
    score = round(min(100.0, sum(points.values())), 1)
    if score < w.min_score:
        return None
    reasons = topic_reasons(
        actor, notice, chosen, own & theirs, lexicon, points["semantic"] + points["lexical"]
    )
    if close > 0 and notice_code is not None:
        cpv_params = {"code": notice_code, "closeness": close}
        reasons.append(Reason(code="cpv", params=cpv_params, weight=points["cpv"]))
    place = territory_params(actor, departments)
    reasons.append(Reason(code="territory", params=place, weight=points["territory"]))
    if slot_params:
        reasons.append(Reason(code=slot_name, params=slot_params, weight=points[slot_name]))
    reasons = sorted(reasons, key=lambda r: -r.weight)
    deadline = deadline_reason(notice.deadline)
    if deadline:
        reasons.append(deadline)
    for r in reasons:
        r.weight = round(r.weight, 1)
    return Match(
        actor_id=actor.id,
        notice_uid=notice.uid,
        score=score,
        lot_ids=[f.lot.id for f in chosen],
        components=components,
        reasons=reasons,
    )
