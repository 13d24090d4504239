"""French départements ↔ NUTS-3, names, neighbours and approximate positions.

TED and eForms locate a notice by NUTS code ("FRE11"), BOAMP and the actors' profiles by
département ("59"); this table lets one filter and score both the same way. The data file is
`config/data/nuts3_departements.json` (provenance in the README beside it), read on first use.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib import resources
from typing import Any

from veilleuse.core.normalise import normalise_department

_EARTH_RADIUS_KM = 6371.0


@cache
def _table() -> dict[str, Any]:
    text = (
        resources.files("veilleuse.config")
        .joinpath("data/nuts3_departements.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def _by_nuts() -> dict[str, str]:
    table = _table()
    found = {entry["nuts3"]: dep for dep, entry in table["departements"].items()}
    for old, new in table["nuts2013_aliases"].items():
        found[old] = found[new]
    return found


def _entry(dep: str) -> dict[str, Any] | None:
    code = normalise_department(dep)
    if code is None:
        return None
    entry: dict[str, Any] | None = _table()["departements"].get(code)
    return entry


def department_from_nuts(code: str | None) -> str | None:
    """'FRE11' → '59'; also the NUTS 2013 codes of older TED notices ('FR301' → '59').

    NUTS-1/2 codes, 'FRZZZ' (extra-regio) and other countries give None.
    """
    if not code:
        return None
    return _by_nuts().get(code.strip().upper())


def nuts_for_department(dep: str) -> str | None:
    """'59' → 'FRE11' (current NUTS-3 code), None for an unknown département."""
    entry = _entry(dep)
    return entry["nuts3"] if entry else None


def department_name(dep: str) -> str | None:
    """'59' → 'Nord'."""
    entry = _entry(dep)
    return entry["name"] if entry else None


def neighbours(dep: str) -> set[str]:
    """Départements sharing a land border with `dep` (metropolitan France; overseas → empty)."""
    entry = _entry(dep)
    return set(entry["neighbours"]) if entry else set()


def department_centroid(dep: str) -> tuple[float, float] | None:
    """(lat, lon) of the département's prefecture: a stand-in for its centre, good to ~30 km."""
    entry = _entry(dep)
    return (entry["lat"], entry["lon"]) if entry else None


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance between two (lat, lon) points, in kilometres."""
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def department_distance_km(a: str, b: str) -> float | None:
    """Distance between two départements' prefectures; None when either is unknown."""
    ca, cb = department_centroid(a), department_centroid(b)
    if ca is None or cb is None:
        return None
    return distance_km(ca, cb)
