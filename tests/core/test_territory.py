"""The administrative division shipped in config/data/geo (from @etalab/decoupage-administratif
6.0.0) and the resolution of a served territory: exact figures of the two demo territories."""

from __future__ import annotations

from veilleuse.core import territory as geo
from veilleuse.core.accounts import PlanTerritory

CAVM, MEL = "245901160", "200093201"


def test_the_data_holds_all_current_communes_and_epci() -> None:
    assert len(geo.communes()) == 34_969
    assert len(geo.epcis()) == 1_255
    valenciennes = geo.communes()["59606"]
    assert (valenciennes.name, valenciennes.siren, valenciennes.epci) == (
        "Valenciennes",
        "215906066",
        CAVM,
    )
    assert valenciennes.postcodes == ("59300",) and valenciennes.department == "59"
    assert geo.communes()["97105"].department == "971"
    assert geo.communes()["2A004"].department == "2A"
    assert geo.department_names()["59"] == "Nord"


def test_the_two_demo_epci_and_their_members() -> None:
    assert geo.epcis()[CAVM].name == "CA Valenciennes Métropole"
    assert geo.epcis()[MEL] == geo.Epci(MEL, "Métropole Européenne de Lille", "METRO")
    assert len(geo.epci_members(CAVM)) == 35
    assert len(geo.epci_members(MEL)) == 95
    assert {"59606", "59014", "59544"} <= set(geo.epci_members(CAVM))  # Valenciennes, Anzin…
    assert {"59350", "59512", "59599", "59009"} <= set(geo.epci_members(MEL))  # Lille, Roubaix…
    assert geo.epci_members("000000000") == ()
    assert [e.siren for e in geo.find_epcis("valenciennes")] == [CAVM]
    assert [e.siren for e in geo.find_epcis(MEL)] == [MEL]


def test_resolve_keeps_shared_postcodes_apart() -> None:
    cavm = geo.resolve(PlanTerritory(id="v", name="V", departments=["59"], epcis=[CAVM]))
    assert len(cavm.communes) == 35 and len(cavm.sirens) == 36  # 35 communes + the EPCI
    assert "59300" in cavm.postcodes
    # 59220 is Rouvignies' (member) and Denain's (outside): only the city name tells them
    assert "59220" not in cavm.postcodes and cavm.shared["59220"] == {"rouvignies"}
    assert cavm.has_buyer("59300", None)
    assert cavm.has_buyer("59220", None, "Rouvignies") and not cavm.has_buyer(
        "59220", None, "Denain"
    )
    assert cavm.has_buyer(None, "245 901 160 00013")  # the agglomeration itself, by SIRET
    assert not cavm.has_buyer("59000", "21590350100017")  # Lille
    assert set(cavm.buyer_keys()) == cavm.postcodes | cavm.sirens


def test_communes_or_departements() -> None:
    one = PlanTerritory(id="a", name="Arras", communes=["62041"])
    assert geo.territory_communes(one) == {"62041"}
    nord = PlanTerritory(id="n", name="Nord", departments=["59"])
    assert len(geo.territory_communes(nord)) == 647  # the Nord in the 2026 COG
    both = PlanTerritory(id="b", name="B", departments=["59"], communes=["62041"], epcis=[MEL])
    assert len(geo.territory_communes(both)) == 96  # départements do not widen finer units
    assert geo.unknown_codes(PlanTerritory(id="x", name="X", communes=["59999"])) == ["59999"]


def test_buyer_keys_of_areas() -> None:
    keys = geo.buyer_keys([MEL])
    assert "215903501" in keys and "59000" in keys and MEL in keys  # Lille's SIREN, postcode
    assert geo.buyer_keys(["59350"]) == geo.buyer_keys([" 59350 "])
    assert geo.buyer_keys(["nothing"]) == ()
    assert geo.area_name(CAVM) == "CA Valenciennes Métropole (EPCI 245901160)"
    assert geo.area_name("59606") == "Valenciennes (commune 59606)"


def test_locate_commune() -> None:
    assert geo.locate_commune("Marcq-en-Baroeul", ["59"]).insee == "59378"  # type: ignore[union-attr]
    assert geo.locate_commune("villeneuve d'ascq").insee == "59009"  # type: ignore[union-attr]
    assert geo.locate_commune("Aix Noulette", ["62"]).insee == "62019"  # type: ignore[union-attr]
    # homonyms: told apart by département or postcode, else unknown
    assert geo.locate_commune("Saint-Saulve", ["59"]) is not None
    assert geo.locate_commune("Marly") is None
    assert geo.locate_commune("Marly", ["59"]).insee == "59383"  # type: ignore[union-attr]
    assert geo.locate_commune("Marly", postcode="57155").department == "57"  # type: ignore[union-attr]
    assert geo.locate_commune("Nulle-Part-sur-Mer", ["59"]) is None
    assert geo.locate_commune(None) is None
