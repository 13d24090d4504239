"""Weights tuned from feedback: AUC arithmetic and a tuner that finds the separating component."""

from __future__ import annotations

import numpy as np

from veilleuse.config.settings import MatchingSettings
from veilleuse.matching.tuning import auc, tune


def test_auc_counts_ties_half() -> None:
    scores = np.array([0.9, 0.5, 0.5, 0.1])
    relevant = np.array([True, True, False, False])
    assert auc(scores, relevant) == (2 + 1 + 0.5) / 4


def test_tuner_moves_weight_to_the_component_that_separates() -> None:
    rng = np.random.default_rng(7)
    n = 40
    relevant = np.array([True] * (n // 2) + [False] * (n // 2))
    rows = rng.uniform(0, 1, size=(n, 5))  # semantic, lexical, cpv, territory, slot: noise…
    rows[:, 3] = np.where(relevant, 0.9, 0.2) + rng.uniform(-0.1, 0.1, n)  # …but territory
    result = tune(rows, relevant, MatchingSettings())
    assert result is not None
    assert result.auc_tuned == 1.0 > result.auc_current
    assert max(result.weights, key=lambda k: result.weights[k]) == "weight_territory"
    assert abs(sum(result.weights.values()) - 1.0) < 1e-6
    assert "VEILLEUSE_MATCHING__WEIGHT_TERRITORY=" in result.env_lines()[3]


def test_too_little_feedback_proposes_nothing() -> None:
    rows = np.zeros((3, 5))
    assert tune(rows, np.array([True, False, True]), MatchingSettings()) is None
