"""Actor profiles × notices → scored matches that a small association can read and trust.

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

The A×N work is matrix products done in blocks of notices (`matching.signals`: sparse stem,
CPV-prefix and territory tables built once per run). For a notice without lots of its own, the
reservation or audience component is known per actor family, so the block gives an estimate of
the exact score within float rounding; a multi-lot notice only gets an upper bound (its lots are
judged one by one). Per actor, the k-th best sure lower bound seen so far prunes every later
candidate that cannot reach it, so only a few more than `top_k` candidates per actor survive;
those are scored exactly (`matching.pairs`: lots, reservations, reasons as data) in decreasing
order of their upper bound, until `top_k` scores beat the next bound. Ties keep the order of the
previous matcher (bound, then partial score, then notice order), so results do not move.

Scaling out: the work is independent per actor, so a run splits into blocks of actors (each a
Prefect task on its own worker, all reading the same notices and vectors) whose matches are
concatenated; an incremental run (`app.match`) scores only new or changed notices against every
actor and changed actors against open notices.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.deadlines import effective_deadline, is_past, start_of_day
from veilleuse.core.embedder import Embedder
from veilleuse.core.models import Actor, Lot, Match, Notice, NoticeKind, NoticeStatus
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.lexical import Lexicon, actor_words, notice_words, stems
from veilleuse.matching.lots import COSINE_CEIL, COSINE_FLOOR
from veilleuse.matching.pairs import LOT_MIN_TOPIC, PairScorer, Scored
from veilleuse.matching.signals import NoticeTables, Signals
from veilleuse.matching.slots import SlotTables, slot_ceiling
from veilleuse.matching.workers import actor_spans, paused_gc, run_spans

__all__ = ["LOT_MIN_TOPIC", "MatchInputs", "actor_text", "is_open", "match", "prepare_inputs"]
BLOCK = 1024  # notices per matrix block
ROUNDING = 0.05 + 1e-4  # scores are rounded to 0.1: 34.96 is kept as 35.0 (float32 bounds)
# |exact score − block estimate| ≤ 0.0551: 0.05 from rounding the score to 0.1, 0.005 from the
# components rounded to 4 decimals (100 × 0.00005 × the weights' sum / itself), < 0.0001 float32
SLACK = 0.06
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
    lexicon: Lexicon | None = None,
    floors: Mapping[str, float] | None = None,
    workers: int = 1,
) -> list[Match]:
    """The best `top_k` matches per actor scoring at least `min_score`, best first per actor.

    `min_topic` (default: the `min_topic` setting) is the floor on the topical part (semantic,
    lexical, CPV) below which a pair is dropped whatever its place, so territory alone never
    makes a match; the evaluation lowers it to judge the ranking alone. `lexicon` (default:
    the rarity of words over `inputs.notices`) lets an incremental run that scores a few
    notices weigh words by the whole corpus of open notices, as a full run does. `floors`
    (actor id → the k-th best score it already holds) leaves out pairs that cannot beat it: an
    incremental run then scores a new notice only for the actors whose list it can enter.
    `workers` processes share a large run by blocks of actors (`matching.workers`); the
    matches are the same whatever their number.
    """
    if min_topic is None:
        min_topic = weights.min_topic
    actors, notices = inputs.actors, inputs.notices
    if not actors or not notices:
        return []
    with paused_gc():
        notice_stems = [stems(notice_words(n)) for n in notices]  # once: 20k texts
        if lexicon is None:
            lexicon = Lexicon.from_stem_sets(notice_stems)
        actor_stems = [stems(actor_words(a)) for a in actors]
        job = _Job(
            inputs, weights, today, rejected, min_topic, lexicon, notice_stems, actor_stems,
            NoticeTables(actors, notices, actor_stems, notice_stems, lexicon),
            np.array([is_open(n, today) for n in notices], bool),
            np.array([slot_ceiling(n) for n in notices]), floors or {},
        )  # fmt: skip
        spans = actor_spans(len(actors), len(notices), workers)
        parts = run_spans(job.run, spans, _validated)
        return [found for part in parts for found in part]


def _validated(part: list[dict[str, Any]]) -> list[Match]:
    """The matches of a block, each field set dropped once validated (a run holds 150,000)."""
    out = []
    for i in range(len(part)):
        out.append(Match.model_validate(part[i]))
        part[i] = {}
    return out


@dataclass
class _Job:
    """One run's shared inputs; `run(start, stop)` matches the actors of rows start..stop."""

    inputs: MatchInputs
    weights: MatchingSettings
    today: date
    rejected: Set[tuple[str, str]]
    min_topic: float
    lexicon: Lexicon
    notice_stems: list[frozenset[str]]
    actor_stems: list[frozenset[str]]
    tables: NoticeTables
    opened: np.ndarray  # (N,) matchable today
    ceilings: np.ndarray  # (N,) the previous matcher's slot ceiling (its bound orders ties)
    floors: Mapping[str, float]

    def run(self, start: int, stop: int) -> list[dict[str, Any]]:
        whole = self.inputs
        actors = whole.actors[start:stop]
        inputs = MatchInputs(
            actors, whole.notices, whole.actor_vectors[start:stop], whole.notice_vectors,
            whole.lot_vectors,
        )  # fmt: skip
        signals = Signals(actors, self.actor_stems[start:stop], self.tables, self.lexicon)
        found = _candidates(self, inputs, signals)
        scorer = PairScorer(
            actors, whole.notices, inputs.actor_vectors, whole.notice_vectors, whole.lot_vectors,
            self.notice_stems, self.lexicon, self.weights, self.today, self.min_topic,
            (signals.territory, signals.dep_index),
        )  # fmt: skip
        return _select(found, scorer, self.weights.top_k)


@dataclass
class _Found:
    """Candidate pairs as arrays, one entry per pair."""

    rows: np.ndarray  # actor rows
    cols: np.ndarray  # notice rows
    upper: np.ndarray  # no exact score can exceed it
    bound: np.ndarray  # the previous matcher's bound and partial score: tie order only
    partial: np.ndarray


def _candidates(job: _Job, inputs: MatchInputs, signals: Signals) -> _Found:
    """Every pair that may be among an actor's `top_k`, from the block matrices.

    A float32 estimate over the whole block picks the pairs worth a closer look (those that
    can reach the actor's floor so far); only those get the previous matcher's bound and
    partial score, computed element by element with the same operations (same values: they
    order ties), and an upper bound of their exact score (`upper`: the estimate for a notice
    without lots of its own, else the bound with the actor class's slot ceiling)."""
    actors, notices = inputs.actors, inputs.notices
    w, rejected, min_topic = job.weights, job.rejected, job.min_topic
    opened, ceilings = job.opened, job.ceilings
    actor_index = {a.id: i for i, a in enumerate(actors)}
    slots = SlotTables(actors, notices, inputs.lot_vectors)
    floor = _Floor(len(actors), w.top_k)
    floor.values[:] = [job.floors.get(a.id, -np.inf) for a in actors]
    parts: list[tuple[np.ndarray, ...]] = []
    for start in range(0, len(notices), BLOCK):
        stop = min(start + BLOCK, len(notices))
        sem, lex, close, terr, use_cpv = _block_signals(inputs, signals, start, stop)
        slot, ceiling, simple = slots.block(start, stop)
        rough = _rough(w, sem, lex, close, terr, use_cpv, slot, ceiling, simple)
        need = np.maximum(floor.values, w.min_score - ROUNDING)[:, None]
        rows, cols = np.nonzero((rough >= need) & opened[None, start:stop])
        u, tr = use_cpv[rows, cols], terr[rows, cols]
        t = w.weight_semantic * sem[rows, cols] + w.weight_lexical * lex[rows, cols]
        t += w.weight_cpv * close[rows, cols] * u  # the block's topical part, element by element
        den = _base(w) + w.weight_cpv * u
        topic = t / (w.weight_semantic + w.weight_lexical + w.weight_cpv * u)
        partial = 100 * (t + w.weight_territory * tr) / den
        bound = partial + 100 * w.weight_reserved * ceilings[cols + start] / den
        most = ceiling[rows, cols].astype(np.float64)  # the actor class's, for multi-lot ones
        tight = partial + 100 * w.weight_reserved * np.nan_to_num(most) / den
        keep = (tight >= w.min_score - ROUNDING) & (topic >= min_topic)
        sl, easy = slot[rows, cols], simple[cols]
        keep &= ~np.isnan(sl) & ~np.isnan(most)  # a reservation or audience leaves it out
        keep &= ~(slots.funding[cols + start] & (tr == 0))  # a funder funds its own territory
        keep &= ~_rejected(rejected, actor_index, notices, start, stop, rows, cols)
        est = partial + 100 * w.weight_reserved * np.nan_to_num(sl) / den
        upper = np.where(easy, est, tight) + SLACK
        keep &= upper >= w.min_score - ROUNDING
        sure = keep & easy & (est - SLACK >= w.min_score + SLACK) & (topic >= min_topic + 1e-3)
        floor.add(rows[sure], est[sure] - SLACK)
        keep &= upper >= floor.values[rows]
        picked = (upper[keep], bound[keep], partial[keep])
        parts.append((rows[keep].astype(np.int32), (cols[keep] + start).astype(np.int32), *picked))
    rows, cols, upper, bound, partial = (np.concatenate(p) for p in zip(*parts, strict=True))
    kept = upper >= floor.values[rows]
    return _Found(rows[kept], cols[kept], upper[kept], bound[kept], partial[kept])


def _rough(
    w: MatchingSettings,
    sem: np.ndarray,
    lex: np.ndarray,
    close: np.ndarray,
    terr: np.ndarray,
    use_cpv: np.ndarray,
    slot: np.ndarray,
    ceiling: np.ndarray,
    simple: np.ndarray,
) -> np.ndarray:
    """(A, B) float32 estimate of every pair's score plus a margin over its rounding, on two
    buffers (this runs over every pair): the slot is exact for simple notices (NaN: excluded,
    counted 0 here) and its ceiling for multi-lot ones."""
    out = np.multiply(sem, np.float32(w.weight_semantic))
    tmp = np.multiply(lex, np.float32(w.weight_lexical))
    out += tmp
    np.multiply(close, np.float32(w.weight_cpv), out=tmp)
    tmp *= use_cpv
    out += tmp
    np.multiply(terr, np.float32(w.weight_territory), out=tmp)
    out += tmp
    np.copyto(tmp, ceiling)
    np.copyto(tmp, slot, where=simple[None, :])
    np.nan_to_num(tmp, copy=False)
    tmp *= np.float32(w.weight_reserved)
    out += tmp
    scale = np.float32(100 / _base(w)), np.float32(100 / (_base(w) + w.weight_cpv))
    np.multiply(out, np.where(use_cpv, scale[1], scale[0]), out=out)
    out += np.float32(SLACK + 0.01)
    return out


def _base(w: MatchingSettings) -> float:
    """The weights every pair counts (CPV counts only when both sides have codes)."""
    return w.weight_semantic + w.weight_lexical + w.weight_territory + w.weight_reserved


class _Floor:
    """Per actor, the `top_k` best sure lower bounds so far; `values` is the k-th (or -inf)."""

    def __init__(self, actors: int, top_k: int) -> None:
        self.top_k = top_k
        self.rows = np.zeros(0, np.intp)
        self.lows = np.zeros(0)
        self.values = np.full(actors, -np.inf)

    def add(self, rows: np.ndarray, lows: np.ndarray) -> None:
        rows, lows = np.concatenate([self.rows, rows]), np.concatenate([self.lows, lows])
        order = np.lexsort((-lows, rows))
        rows, lows = rows[order], lows[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows, side="left")
        self.rows, self.lows = rows[rank < self.top_k], lows[rank < self.top_k]
        last = rank == self.top_k - 1
        self.values[rows[last]] = np.maximum(self.values[rows[last]], lows[last])


def _rejected(
    rejected: Set[tuple[str, str]],
    actor_index: dict[str, int],
    notices: list[Notice],
    start: int,
    stop: int,
    rows: np.ndarray,
    cols: np.ndarray,
) -> np.ndarray:
    """Which of the (rows, cols) pairs of this block someone marked not relevant."""
    if not rejected:
        return np.zeros(len(rows), bool)
    width = stop - start
    columns = {n.uid: j for j, n in enumerate(notices[start:stop])}
    marked = [
        actor_index[a] * width + columns[uid]
        for a, uid in rejected
        if a in actor_index and uid in columns
    ]
    return np.isin(rows.astype(np.int64) * width + cols, marked)


def _block_signals(
    inputs: MatchInputs, signals: Signals, start: int, stop: int
) -> tuple[np.ndarray, ...]:
    """(semantic, lexical, cpv, territory, use_cpv) of every actor × notices start..stop; the
    semantic part of a multi-lot notice is its closest lot when that is closer."""
    sem = inputs.actor_vectors @ inputs.notice_vectors[start:stop].T
    columns, stacks = [], []
    for j, notice in enumerate(inputs.notices[start:stop]):
        lots = inputs.lot_vectors.get(notice.uid)
        if lots is not None and len(lots):
            columns.append(j)
            stacks.append(lots)
    if stacks:
        per_lot = np.concatenate(stacks) @ inputs.actor_vectors.T  # (lots, A): rows reduce fast
        offsets = np.cumsum([0] + [len(x) for x in stacks[:-1]])
        best_lot = np.maximum.reduceat(per_lot, offsets, axis=0)
        sem[:, columns] = np.maximum(sem[:, columns], best_lot.T)
    np.subtract(sem, COSINE_FLOOR, out=sem)  # `lots.rescale`, in place: the same values
    np.divide(sem, COSINE_CEIL - COSINE_FLOOR, out=sem)
    np.clip(sem, 0.0, 1.0, out=sem)
    has_cpv = np.array([bool(c) for c in signals.notice_codes[start:stop]])
    use_cpv = signals.has_actor_cpv[:, None] & has_cpv[None, :]
    lex, close = signals.lexical(start, stop), signals.cpv(start, stop)
    return sem, lex, close, signals.territory_block(start, stop), use_cpv


def _select(found: _Found, scorer: PairScorer, top_k: int) -> list[dict[str, Any]]:
    """Per actor, score candidates by decreasing upper bound until `top_k` exact scores beat
    the next bound, then keep the best `top_k` (ties in the previous matcher's order) and
    build their fields and reasons."""
    order = np.lexsort((found.cols, -found.upper, found.rows))
    rows, cols = found.rows[order], found.cols[order]
    upper, bound, partial = found.upper[order], found.bound[order], found.partial[order]
    if not len(rows):
        return []
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]]).tolist()
    out: list[dict[str, Any]] = []
    for first, last in zip(starts, [*starts[1:], len(rows)], strict=True):
        a = int(rows[first])
        ceilings = upper[first:last].tolist()
        scored: list[tuple[tuple[float, float, float, int], Scored]] = []
        heap: list[float] = []  # the best `top_k` scores so far (a min-heap)
        for k, n in enumerate(cols[first:last].tolist()):
            if len(heap) >= top_k and heap[0] > ceilings[k]:
                break
            pair = scorer.score(a, n)
            if pair is None:
                continue
            i = first + k
            scored.append(((-pair.score, -float(bound[i]), float(partial[i]), n), pair))
            if len(heap) < top_k:
                heapq.heappush(heap, pair.score)
            elif pair.score > heap[0]:
                heapq.heapreplace(heap, pair.score)
        scored.sort(key=lambda item: item[0])
        out.extend(scorer.explain(pair) for _, pair in scored[:top_k])
    return out
