"""Weights tuned from feedback: which mix of score components best separates the matches people
marked relevant from those they marked not relevant.

The tuner proposes weights (it does not apply them): the network reviews the before/after
separation and sets the `VEILLEUSE_MATCHING__WEIGHT_*` settings. Separation is the AUC of the
pairwise ranking (probability that a relevant pair outscores a not-relevant one), searched over
a grid of weights summing to 1. Components of a pair come from the matcher itself with no
thresholds, so they are exactly what the score is made of.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.matching.matching import MatchInputs, match

COMPONENTS = ("semantic", "lexical", "cpv", "territory", "slot")
SETTING_OF = {
    "semantic": "weight_semantic",
    "lexical": "weight_lexical",
    "cpv": "weight_cpv",
    "territory": "weight_territory",
    "slot": "weight_reserved",
}
MIN_EXAMPLES = 4  # per class: fewer cannot say anything about weights


@dataclass
class TuningResult:
    examples: int
    relevant: int
    auc_current: float
    auc_tuned: float
    weights: dict[str, float]  # setting name → proposed value

    def env_lines(self) -> list[str]:
        return [
            f"VEILLEUSE_MATCHING__{name.upper()}={value:.2f}"
            for name, value in self.weights.items()
        ]


def component_rows(
    inputs: MatchInputs,
    labels: dict[tuple[str, str], bool],
    settings: MatchingSettings,
    today: date,
) -> tuple[np.ndarray, np.ndarray]:
    """(pairs × components, relevance) for the labelled pairs the matcher can score at all
    (pairs excluded by eligibility — a reservation, an audience — have no components)."""
    loose = settings.model_copy(update={"min_score": 0.0, "top_k": len(inputs.notices) or 1})
    found = {
        (m.actor_id, m.notice_uid): m.components
        for m in match(inputs, loose, today=today, min_topic=0.0)
    }
    rows, relevance = [], []
    for pair, relevant in labels.items():
        parts = found.get(pair)
        if parts is None:
            continue
        slot = parts.get("reserved", parts.get("audience", 0.0))
        rows.append([parts["semantic"], parts["lexical"], parts["cpv"], parts["territory"], slot])
        relevance.append(relevant)
    return np.array(rows, dtype=np.float64).reshape(-1, 5), np.array(relevance, dtype=bool)


def auc(scores: np.ndarray, relevant: np.ndarray) -> float:
    """P(score of a relevant pair > score of a not-relevant one), ties counting half."""
    pos, neg = scores[relevant], scores[~relevant]
    if not len(pos) or not len(neg):
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


def _grid(step: float) -> np.ndarray:
    units = round(1 / step)
    combos = [c for c in itertools.product(range(units + 1), repeat=4) if sum(c) <= units]
    return np.array([[*c, units - sum(c)] for c in combos], dtype=np.float64) / units


def tune(
    rows: np.ndarray, relevant: np.ndarray, current: MatchingSettings, step: float = 0.05
) -> TuningResult | None:
    """The grid weights with the best AUC (ties: closest to the current weights); None when
    there are too few examples of either kind."""
    if relevant.sum() < MIN_EXAMPLES or (~relevant).sum() < MIN_EXAMPLES:
        return None
    now = np.array([getattr(current, SETTING_OF[c]) for c in COMPONENTS])
    now = now / now.sum()
    best_key: tuple[float, float] | None = None
    best = now
    for weights in _grid(step):
        key = (auc(rows @ weights, relevant), -float(np.abs(weights - now).sum()))
        if best_key is None or key > best_key:
            best_key, best = key, weights
    return TuningResult(
        examples=len(relevant),
        relevant=int(relevant.sum()),
        auc_current=auc(rows @ now, relevant),
        auc_tuned=auc(rows @ best, relevant),
        weights={SETTING_OF[c]: round(float(w), 2) for c, w in zip(COMPONENTS, best, strict=True)},
    )


def feedback_labels(rows: Sequence[tuple[str, str, bool]]) -> dict[tuple[str, str], bool]:
    """The latest verdict per (actor, notice) pair."""
    return {(actor, uid): relevant for actor, uid, relevant in rows}
