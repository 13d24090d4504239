"""Territory fit of an actor and a place given as départements: one rule, scalar and matrix forms.

Same département 1.0, within the actor's radius (département centroid) 0.8, neighbouring 0.6,
national or unknown place 0.5, elsewhere 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from veilleuse.core import geo
from veilleuse.core.models import Actor

_EARTH_RADIUS_KM = 6371.0  # as `geo.distance_km`


def territory_fit(actor: Actor, departments: Sequence[str]) -> tuple[float, dict[str, Any]]:
    """(component, reason params) for a place given as départements; same rules as the matrix.

    The params name the case (national, unknown_actor, department, radius, neighbour, outside)
    and the place; `matching.reasons` words them in French."""
    own = set(actor.territory.departments)
    if not departments:
        return 0.5, {"case": "national"}
    if not own and actor.territory.latitude is None:
        return 0.5, {"case": "unknown_actor"}
    for dep in departments:
        if dep in own:
            return 1.0, {"case": "department", "department": dep}
    near = _within_radius(actor, departments)
    if near is not None:
        dep, km = near
        return 0.8, {"case": "radius", "department": dep, "km": km}
    for dep in departments:
        if any(dep in _neighbours(o) for o in own):
            return 0.6, {"case": "neighbour", "department": dep}
    return 0.0, {"case": "outside", "department": departments[0]}


@lru_cache(maxsize=512)
def _centroid(dep: str) -> tuple[float, float] | None:
    return geo.department_centroid(dep)  # cached: the matrix asks for every (actor, place)


@lru_cache(maxsize=512)
def _neighbours(dep: str) -> frozenset[str]:
    return frozenset(geo.neighbours(dep))


def _within_radius(actor: Actor, departments: Sequence[str]) -> tuple[str, float] | None:
    t = actor.territory
    if t.latitude is None or t.longitude is None or not t.radius_km:
        return None
    best: tuple[str, float] | None = None
    for dep in departments:
        centre = _centroid(dep)
        if centre is None:
            continue
        km = geo.distance_km((t.latitude, t.longitude), centre)
        if km <= t.radius_km and (best is None or km < best[1]):
            best = (dep, km)
    return best


def territory_matrix(actors: Sequence[Actor], notice_deps: Sequence[Sequence[str]]) -> np.ndarray:
    """(A, N) territory components, vectorised over département indicator matrices."""
    vocab = sorted({d for deps in notice_deps for d in deps})
    index = {d: i for i, d in enumerate(vocab)}
    a_n, n_n, d_n = len(actors), len(notice_deps), len(vocab)
    own = np.zeros((a_n, d_n), np.float32)
    near = np.zeros((a_n, d_n), np.float32)
    for i, actor in enumerate(actors):
        for dep in actor.territory.departments:
            if dep in index:
                own[i, index[dep]] = 1
            for nb in _neighbours(dep):
                if nb in index:
                    near[i, index[nb]] = 1
    radius = _radius_matrix(actors, vocab)
    places = np.zeros((n_n, d_n), np.float32)
    for j, deps in enumerate(notice_deps):
        for dep in deps:
            places[j, index[dep]] = 1
    out = np.zeros((a_n, n_n), np.float32)
    out[(near @ places.T) > 0] = 0.6
    out[(radius @ places.T) > 0] = 0.8
    out[(own @ places.T) > 0] = 1.0
    unknown_actor = np.array(
        [not a.territory.departments and a.territory.latitude is None for a in actors], bool
    )
    out[unknown_actor, :] = 0.5
    out[:, np.array([not deps for deps in notice_deps], bool)] = 0.5
    return out


def _radius_matrix(actors: Sequence[Actor], vocab: Sequence[str]) -> np.ndarray:
    """(A, D) 1 where the département's centroid is within the actor's radius (haversine, as
    `geo.distance_km`), computed as arrays: A×D Python calls were the matcher's slowest part."""
    out = np.zeros((len(actors), len(vocab)), np.float32)
    rows = [
        (i, a.territory.latitude, a.territory.longitude, a.territory.radius_km)
        for i, a in enumerate(actors)
        if a.territory.latitude is not None
        and a.territory.longitude is not None
        and a.territory.radius_km
    ]
    cols = [(j, c) for j, c in enumerate(_centroid(d) for d in vocab) if c is not None]
    if not rows or not cols:
        return out
    lat1, lon1 = (np.radians([r[k] for r in rows])[:, None] for k in (1, 2))
    lat2, lon2 = (np.radians([c[k] for _, c in cols])[None, :] for k in (0, 1))
    h = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * _EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    inside = km <= np.array([r[3] for r in rows], np.float64)[:, None]
    out[np.ix_([r[0] for r in rows], [j for j, _ in cols])] = inside
    return out
