"""The département ↔ NUTS-3 table and the neighbour / distance helpers."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from lxml import etree

from veilleuse.core import geo

CODELIST = (
    Path(__file__).parents[2]
    / "data"
    / "samples"
    / "ted_eforms"
    / "codelists"
    / "nuts_nuts-fra-lvl3.gc"
)


@pytest.mark.parametrize(
    ("nuts", "dep"),
    [
        ("FRE11", "59"),
        ("FRE12", "62"),
        ("FR101", "75"),
        ("FR108", "95"),
        ("FRD22", "76"),
        ("FRL04", "13"),
        ("FRF12", "68"),
        ("FRM01", "2A"),
        ("FRM02", "2B"),
        ("FRY40", "974"),
        ("FRY50", "976"),
        ("fre11", "59"),
        (" FRB04 ", "37"),
        ("FR301", "59"),  # NUTS 2013 code of Nord in older TED notices
        ("FR824", "13"),
        ("FRA40", "974"),
    ],
)
def test_department_from_nuts(nuts: str, dep: str) -> None:
    assert geo.department_from_nuts(nuts) == dep


@pytest.mark.parametrize("code", ["FRE1", "FRE", "FR", "FRZZZ", "LU000", "BE100", "", None, "UK"])
def test_department_from_nuts_rejects_non_nuts3_or_foreign(code: str | None) -> None:
    assert geo.department_from_nuts(code) is None


def test_every_codelist_nuts3_code_maps_back_and_forth() -> None:
    tree = etree.parse(str(CODELIST))
    codes = {row.findtext("Value[@ColumnRef='code']/SimpleValue") for row in tree.iter("Row")}
    codes.discard("FRZZZ")
    assert len(codes) == 101
    for code in codes:
        dep = geo.department_from_nuts(code)
        assert dep is not None, code
        assert geo.nuts_for_department(dep) == code


def test_nuts_and_names_for_departments() -> None:
    assert geo.nuts_for_department("59") == "FRE11"
    assert geo.nuts_for_department("5") == "FRL02"  # normalised like other département inputs
    assert geo.nuts_for_department("2A") == "FRM01"
    assert geo.nuts_for_department("99") is None
    assert geo.department_name("59") == "Nord"
    assert geo.department_name("21") == "Côte-d'Or"
    assert geo.department_name("974") == "La Réunion"
    assert geo.department_name("nope") is None


def test_neighbours_are_symmetric_and_metropolitan() -> None:
    assert geo.neighbours("59") == {"02", "62", "80"}
    assert geo.neighbours("75") == {"92", "93", "94"}
    assert geo.neighbours("2A") == {"2B"}
    assert geo.neighbours("974") == set()
    assert geo.neighbours("xx") == set()
    table = json.loads(
        resources.files("veilleuse.config")
        .joinpath("data/nuts3_departements.json")
        .read_text(encoding="utf-8")
    )["departements"]
    metropolitan = [dep for dep in table if len(dep) == 2]
    assert len(metropolitan) == 96
    for dep in metropolitan:
        assert geo.neighbours(dep), dep
        for other in geo.neighbours(dep):
            assert dep in geo.neighbours(other), (dep, other)


def test_centroids_and_distances() -> None:
    lille = geo.department_centroid("59")
    arras = geo.department_centroid("62")
    assert lille == pytest.approx((50.629, 3.057))
    assert arras is not None and lille is not None
    assert geo.distance_km(lille, arras) == pytest.approx(45, abs=5)
    assert geo.department_distance_km("75", "13") == pytest.approx(660, abs=20)
    assert geo.distance_km(lille, lille) == 0
    assert geo.department_centroid("00") is None
    assert geo.department_distance_km("59", "00") is None


def test_every_department_has_a_centroid_in_a_plausible_box() -> None:
    for dep in ["01", "29", "2B", "67", "66", "971", "973", "976"]:
        lat, lon = geo.department_centroid(dep) or (999.0, 999.0)
        assert -25 < lat < 52 and -65 < lon < 56, dep
    for dep in ["29", "67", "66", "59", "2B"]:
        lat, lon = geo.department_centroid(dep) or (0.0, 0.0)
        assert 41 < lat < 51.2 and -5 < lon < 9.6, dep  # metropolitan France
