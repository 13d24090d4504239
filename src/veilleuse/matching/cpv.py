"""CPV closeness and French labels.

The CPV code is a tree read from the left: 2 digits = division, 3 = group, 4 = class. Two codes
are as close as the longest prefix they share, which is how a buyer's "77310000" and a gardener's
"77300000" come out related without any learned model. The pairwise rule lives in
`cpv_closeness`; `closeness_matrix` applies it to every actor × notice pair at once (one boolean
matrix product per level) so the matcher never loops over pairs in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from veilleuse.core.cpv_labels import cpv_label
from veilleuse.core.cpv_labels import cpv_labels as cpv_labels  # re-exported for callers

# (prefix length, closeness) from the most to the least specific; the full code counts 1.0
LEVELS: tuple[tuple[int, float], ...] = ((8, 1.0), (4, 0.8), (3, 0.6), (2, 0.4))


def cpv_closeness(a: str, b: str) -> float:
    """1.0 same code, 0.8 same class (4 digits), 0.6 same group (3), 0.4 same division (2), else 0."""
    for length, value in LEVELS:
        if a[:length] == b[:length]:
            return value
    return 0.0


def best_cpv_pair(
    actor_codes: Iterable[str], notice_codes: Iterable[str]
) -> tuple[float, str | None, str | None]:
    """The best closeness over actor codes × notice codes, with the (actor, notice) codes giving it.

    Ties keep the first notice code, i.e. the main CPV, which is the one worth showing.
    """
    best: tuple[float, str | None, str | None] = (0.0, None, None)
    actor_list = list(actor_codes)
    for notice_code in notice_codes:
        for actor_code in actor_list:
            value = cpv_closeness(actor_code, notice_code)
            if value > best[0]:
                best = (value, actor_code, notice_code)
                if value == 1.0:
                    return best
    return best


def closeness_matrix(
    actor_codes: Sequence[Sequence[str]], notice_codes: Sequence[Sequence[str]]
) -> np.ndarray:
    """(A, N) float32 matrix of the best closeness between each actor's and each notice's codes.

    For each level, both sides become 0/1 matrices over the prefixes present on *both* sides, and
    one matrix product says which pairs share a prefix; the most specific shared level wins.
    """
    result = np.zeros((len(actor_codes), len(notice_codes)), dtype=np.float32)
    if not len(actor_codes) or not len(notice_codes):
        return result
    for length, value in reversed(LEVELS):  # least specific first, more specific overwrite
        actor_sets = [{c[:length] for c in codes} for codes in actor_codes]
        notice_sets = [{c[:length] for c in codes} for codes in notice_codes]
        shared = set().union(*actor_sets) & set().union(*notice_sets)
        if not shared:
            continue
        index = {prefix: i for i, prefix in enumerate(sorted(shared))}
        left = _indicator(actor_sets, index)
        right = _indicator(notice_sets, index)
        hit = (left @ right.T) > 0
        result[hit] = value
    return result


def _indicator(sets: list[set[str]], index: dict[str, int]) -> np.ndarray:
    matrix = np.zeros((len(sets), len(index)), dtype=np.float32)
    for row, items in enumerate(sets):
        for item in items:
            col = index.get(item)
            if col is not None:
                matrix[row, col] = 1.0
    return matrix


# --------------------------------------------------------------------------- labels


def cpv_display(code: str) -> str:
    """'77310000 Réalisation et entretien d'espaces verts', or the bare code when unknown."""
    label = cpv_label(code)
    return f"{code} {label}" if label else code
