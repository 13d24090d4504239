"""The actor × notice signal matrices of one run, a block of notices at a time.

What depends on the actors alone (their stem, CPV-prefix and territory tables) is built once
per run as sparse or small dense matrices; each block of notices then costs a few sparse
products and gathers instead of Python loops over every actor. The values are those of the
pairwise rules (`lexical.Lexicon.similarity`, `cpv.cpv_closeness`, `territory.territory_fit`)
up to float32 rounding.
"""

from __future__ import annotations

from collections.abc import Sequence, Set

import numpy as np
from scipy import sparse

from veilleuse.core.models import Actor, Notice
from veilleuse.matching.cpv import LEVELS
from veilleuse.matching.lexical import LEXICAL_FULL, Lexicon
from veilleuse.matching.territory import _neighbours, _radius_matrix


def _indicator(
    sets: Sequence[Set[str]], index: dict[str, int], values: dict[str, float] | None = None
) -> sparse.csr_matrix:
    """Rows of `sets` over the columns of `index` (1, or the item's value), as CSR float32."""
    indptr, cols, data = [0], [], []
    for items in sets:
        for item in items:
            col = index.get(item)
            if col is not None:
                cols.append(col)
                data.append(1.0 if values is None else values[item])
        indptr.append(len(cols))
    shape = (len(sets), len(index))
    return sparse.csr_matrix((np.asarray(data, np.float32), cols, indptr), shape=shape)


class NoticeTables:
    """What the block pass needs of the notices: their weighted stems and CPV prefixes over the
    columns every actor of the run may share, their places, their norms. Built once per run,
    before the workers fork, so each block of actors reuses them."""

    def __init__(
        self,
        actors: Sequence[Actor],
        notices: Sequence[Notice],
        actor_stems: Sequence[frozenset[str]],
        notice_stems: Sequence[frozenset[str]],
        lexicon: Lexicon,
    ) -> None:
        vocab = sorted(set().union(*actor_stems) & set().union(*notice_stems))
        self.stem_index = {s: i for i, s in enumerate(vocab)}
        self.stem_weights = {s: lexicon.weight(s) for s in vocab}
        self.lex = _indicator(notice_stems, self.stem_index, self.stem_weights)  # rows sliced
        self.scale = _inverse([lexicon._norm(x) for x in notice_stems])
        self.codes = [n.all_cpv() for n in notices]
        self.deps = [n.all_departments() for n in notices]
        self.dep_index = {d: i for i, d in enumerate(sorted({d for ds in self.deps for d in ds}))}
        self.cpv_levels = []  # (length, value, prefix index, notice indicator), least specific first
        for length, value in reversed(LEVELS):
            prefixes = {c[:length] for a in actors for c in a.cpv_codes()}
            index = {p: i for i, p in enumerate(sorted(prefixes))}
            notice_sets = [{c[:length] for c in cs} for cs in self.codes]
            self.cpv_levels.append((length, value, index, _indicator(notice_sets, index)))


class Signals:
    """Lexical, CPV and territory components of a block of actors against blocks of notices."""

    def __init__(
        self,
        actors: Sequence[Actor],
        actor_stems: Sequence[frozenset[str]],
        notices: NoticeTables,
        lexicon: Lexicon,
    ) -> None:
        self.notices = notices
        self.actor_lex = _indicator(actor_stems, notices.stem_index, notices.stem_weights)
        self.actor_scale = _inverse([lexicon._norm(x) for x in actor_stems]) / LEXICAL_FULL
        self.notice_codes = notices.codes
        self.cpv_levels = []  # (value, actor and notice indicators), least specific first
        for length, value, index, notice_side in notices.cpv_levels:
            actor_sets = [{c[:length] for c in a.cpv_codes()} for a in actors]
            self.cpv_levels.append((value, _indicator(actor_sets, index), notice_side))
        self.has_actor_cpv = np.array([bool(a.cpv_codes()) for a in actors])
        self._territory_table(actors)

    def _territory_table(self, actors: Sequence[Actor]) -> None:
        """(A, D + 1) value of a notice placed in each known département: 1 own, 0.8 within
        the radius, 0.6 neighbour, else 0; actors without any place get 0.5 everywhere; the
        last column (a notice placed nowhere: national) is 0.5."""
        self.dep_index = index = self.notices.dep_index
        deps = sorted(index, key=index.__getitem__)
        table = np.zeros((len(actors), len(deps)), np.float32)
        for i, actor in enumerate(actors):
            for dep in actor.territory.departments:
                for nb in _neighbours(dep):
                    if nb in self.dep_index:
                        table[i, self.dep_index[nb]] = 0.6
        table[_radius_matrix(actors, deps) > 0] = 0.8
        for i, actor in enumerate(actors):
            for dep in actor.territory.departments:
                if dep in self.dep_index:
                    table[i, self.dep_index[dep]] = 1.0
        unknown = [not a.territory.departments and a.territory.latitude is None for a in actors]
        table[np.array(unknown, bool), :] = 0.5
        self.territory = np.hstack([table, np.full((len(actors), 1), 0.5, np.float32)])

    def lexical(self, start: int, stop: int) -> np.ndarray:
        """(A, B) `Lexicon.similarity` of every actor with notices start..stop, float32 (in
        place on one buffer: this runs over every pair of the run)."""
        out = (self.actor_lex @ self.notices.lex[start:stop].T).toarray()
        out *= self.actor_scale[:, None]
        out *= self.notices.scale[None, start:stop]
        return np.minimum(out, 1.0, out=out)

    def cpv(self, start: int, stop: int) -> np.ndarray:
        """(A, B) best CPV closeness, the most specific shared prefix level winning."""
        out = np.zeros((len(self.has_actor_cpv), stop - start), np.float32)
        for value, actor_side, notice_side in self.cpv_levels:
            right = notice_side[start:stop]
            if not right.nnz:
                continue
            hit = (actor_side @ right.T).toarray() > 0
            out[hit] = value
        return out

    def territory_block(self, start: int, stop: int) -> np.ndarray:
        """(A, B) territory component: the best of the notice's départements, 0.5 when none."""
        deps = self.notices.deps[start:stop]
        nowhere = self.territory.shape[1] - 1  # the last column: 0.5 for every actor
        width = max((len(ds) for ds in deps), default=0)
        first = [self.dep_index[ds[0]] if ds else nowhere for ds in deps]
        out = self.territory.take(first, axis=1)
        for k in range(1, width):
            cols = [j for j, ds in enumerate(deps) if len(ds) > k]
            values = self.territory.take([self.dep_index[deps[j][k]] for j in cols], axis=1)
            out[:, cols] = np.maximum(out[:, cols], values)
        return out


def _inverse(norms: list[float]) -> np.ndarray:
    """1 / norm as float32, 0 for an empty set (its similarity with anything is 0)."""
    values = np.asarray(norms, np.float64)
    with np.errstate(divide="ignore"):
        return np.where(values > 0, 1.0 / values, 0.0).astype(np.float32)
