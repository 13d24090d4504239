"""The French administrative division (communes, EPCI, départements) and the resolution of a
served territory (`PlanTerritory`) into its communes, postcodes and SIRENs.

The data is `config/data/geo/` (from `@etalab/decoupage-administratif`, provenance beside it),
read on first use. A territory's communes are its listed communes plus the members of its EPCI;
its départements only widen it when it names neither (a territory given as "59" is the Nord),
since a territory lying in the Nord also lists "59" for the département-level statistics.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from veilleuse.core.accounts import PlanTerritory
from veilleuse.core.normalise import fold


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    siren: str | None
    epci: str | None
    postcodes: tuple[str, ...]

    @property
    def department(self) -> str:
        return self.insee[:3] if self.insee.startswith("97") else self.insee[:2]


@dataclass(frozen=True)
class Epci:
    siren: str
    name: str
    kind: str  # CC, CA, CU, METRO, MET69


@dataclass(frozen=True)
class ResolvedTerritory:
    """A territory as sets to test a place against: INSEE codes, postcodes, SIRENs (member
    communes and EPCI: the public buyers of the territory)."""

    communes: frozenset[str]
    #: postcodes used by member communes only (a postcode shared with an outside commune, as
    #: 59220 of Denain and Wavrechain-sous-Denain, places nothing by itself)
    postcodes: frozenset[str]
    #: shared postcode → name keys of the member communes using it
    shared: dict[str, frozenset[str]]
    sirens: frozenset[str]

    def has_buyer(self, postcode: str | None, siret: str | None, city: str | None = None) -> bool:
        """Whether a buyer given by SIRET (its first 9 digits), postcode or shared postcode and
        city lies in it."""
        siren = (siret or "").replace(" ", "")[:9]
        code = (postcode or "").strip()
        return (
            siren in self.sirens
            or code in self.postcodes
            or _name_key(city or "") in self.shared.get(code, ())
        )

    def buyer_keys(self) -> list[str]:
        """Its exclusive postcodes and its SIRENs, sorted: the values of a buyer-place filter."""
        return sorted(self.postcodes | self.sirens)


def _read(name: str) -> Any:
    data = resources.files("veilleuse.config").joinpath(f"data/geo/{name}").read_bytes()
    return json.loads(gzip.decompress(data) if name.endswith(".gz") else data)


@cache
def communes() -> dict[str, Commune]:
    """INSEE code → current commune, all France."""
    rows = _read("communes.json.gz")["rows"]
    return {r[0]: Commune(r[0], r[1], r[2], r[3], tuple(r[4])) for r in rows}


@cache
def epcis() -> dict[str, Epci]:
    """SIREN → EPCI à fiscalité propre."""
    return {siren: Epci(siren, name, kind) for siren, name, kind in _read("epci.json")}


@cache
def department_names() -> dict[str, str]:
    return {code: name for code, name, _region in _read("departements.json")}


@cache
def _members() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for commune in communes().values():
        if commune.epci:
            found.setdefault(commune.epci, []).append(commune.insee)
    return {siren: tuple(sorted(codes)) for siren, codes in found.items()}


def epci_members(siren: str) -> tuple[str, ...]:
    """INSEE codes of the member communes of an EPCI (empty for an unknown SIREN)."""
    return _members().get(siren.strip(), ())


def area_name(code: str) -> str:
    """French wording of an EPCI (SIREN) or commune (INSEE code): "CA Valenciennes Métropole
    (EPCI 245901160)", "Valenciennes (commune 59606)"; the code itself when unknown."""
    if (group := epcis().get(code)) is not None:
        return f"{group.name} (EPCI {code})"
    if (commune := communes().get(code)) is not None:
        return f"{commune.name} (commune {code})"
    return code


def find_epcis(text: str) -> list[Epci]:
    """EPCI whose SIREN is `text` or whose folded name contains it ("valenciennes")."""
    key = fold(text.strip())
    if not key:
        return []
    return [e for e in epcis().values() if e.siren == text.strip() or key in fold(e.name)]


@cache
def _by_name() -> dict[str, list[Commune]]:
    found: dict[str, list[Commune]] = {}
    for commune in communes().values():
        found.setdefault(_name_key(commune.name), []).append(commune)
    return found


def _name_key(name: str) -> str:
    """Folded name with hyphens and apostrophes as spaces ("Marcq-en-Barœul" → "marcq en baroeul")."""
    text = fold(name.replace("œ", "oe").replace("Œ", "Oe").replace("æ", "ae"))
    return " ".join(re.sub(r"[-'’]", " ", text).split())


def locate_commune(
    name: str | None, departments: Iterable[str] = (), postcode: str | None = None
) -> Commune | None:
    """The commune of a place given by name (and département or postcode to tell homonyms
    apart), or None when it is unknown or ambiguous."""
    found = _by_name().get(_name_key(name or ""), [])
    if postcode:
        found = [c for c in found if postcode.strip() in c.postcodes] or found
    deps = set(departments)
    if deps and len(found) > 1:
        found = [c for c in found if c.department in deps]
    return found[0] if len(found) == 1 else None


def unknown_codes(territory: PlanTerritory) -> list[str]:
    """The territory's commune and EPCI codes the data does not know (a typo, a merged commune)."""
    known, groups = communes(), epcis()
    return [c for c in territory.communes if c not in known] + [
        e for e in territory.epcis if e not in groups
    ]


def territory_communes(territory: PlanTerritory) -> frozenset[str]:
    """INSEE codes of the territory: its communes and its EPCI's members, else its départements'."""
    codes = set(territory.communes)
    for siren in territory.epcis:
        codes.update(epci_members(siren))
    if not codes and territory.departments:
        deps = set(territory.departments)
        codes = {c.insee for c in communes().values() if c.department in deps}
    return frozenset(codes)


def resolve(territory: PlanTerritory) -> ResolvedTerritory:
    """The territory's communes, their postcodes, and the SIRENs of its communes and EPCI."""
    table = communes()
    codes = territory_communes(territory)
    members = [table[c] for c in codes if c in table]
    inside = {p for c in members for p in c.postcodes}
    outside = {p for c in table.values() if c.insee not in codes for p in c.postcodes} & inside
    shared: dict[str, set[str]] = {}
    for commune in members:
        for code in set(commune.postcodes) & outside:
            shared.setdefault(code, set()).add(_name_key(commune.name))
    return ResolvedTerritory(
        communes=frozenset(c.insee for c in members),
        postcodes=frozenset(inside - outside),
        shared={code: frozenset(names) for code, names in shared.items()},
        sirens=frozenset({c.siren for c in members if c.siren} | set(territory.epcis)),
    )


@lru_cache(maxsize=64)
def _area_keys(areas: tuple[str, ...]) -> tuple[str, ...]:
    groups, table = epcis(), communes()
    area = PlanTerritory(
        id="zone",
        name="zone",
        epcis=[a for a in areas if a in groups],
        communes=[a for a in areas if a in table],
    )
    return tuple(resolve(area).buyer_keys()) if area.epcis or area.communes else ()


def buyer_keys(areas: Iterable[str]) -> tuple[str, ...]:
    """The postcodes and SIRENs of the buyers in these EPCI (SIREN) and communes (INSEE code):
    what a store compares a notice's buyer with. Unknown codes place nothing."""
    return _area_keys(tuple(sorted({a.strip().upper() for a in areas})))
