"""Legacy TED XML parser: exact fields on five real TED notices, sniffing, malformed input."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from veilleuse.core.models import (
    Awardee,
    ContractNature,
    Money,
    Notice,
    NoticeKind,
    NoticeStatus,
    ReservedKind,
)
from veilleuse.spiders.parsers.ted_legacy import PARSER

SAMPLES = Path(__file__).parents[3] / "data" / "samples"
LEGACY = SAMPLES / "ted_legacy_xml"
PARIS = ZoneInfo("Europe/Paris")


def read(name: str) -> bytes:
    return (LEGACY / name).read_bytes()


def parse_one(name: str) -> Notice:
    result = PARSER.parse(read(name), name)
    assert result.problems == []
    assert len(result.notices) == 1
    return result.notices[0]


def test_f21_reserved_meal_services() -> None:
    n = parse_one("19-090974-001-EXP.xml")
    assert n.uid == "ted:91489-2019"  # DOC_ID 091489-2019, same form as eForms / API numbers
    assert n.kind == NoticeKind.TENDER
    assert n.title == (
        "Marché de service pour l'élaboration, la fabrication et la livraison de repas destinés "
        "aux structures intra-hospitalières de l'EPS Erasme"
    )
    assert n.language == "fr"
    assert n.buyer.name == "EPS Paul Guiraud"
    assert (n.buyer.city, n.buyer.postcode, n.buyer.department) == (
        "Villejuif Cedex",
        "94806",
        "94",
    )
    assert n.published == date(2019, 2, 26)
    assert n.deadline == datetime(2019, 3, 22, 15, 0, tzinfo=PARIS)
    assert n.deadline.isoformat() == "2019-03-22T15:00:00+01:00"  # type: ignore[union-attr]
    assert n.cpv == ["55321000"]
    assert n.contract_nature == ContractNature.SERVICES
    assert n.procedure == "open"
    assert n.places.nuts == ["FR105"] and n.places.departments == ["92"]
    assert n.reserved is True
    assert n.reserved_kinds == [
        ReservedKind.SHELTERED_WORKSHOP,
        ReservedKind.PUBLIC_SERVICE_MISSION,
    ]
    assert n.evidence.reserved == [
        "LEFTI/RESTRICTED_SHELTERED_WORKSHOP",
        "LEFTI/RESTRICTED_SHELTERED_PROGRAM",
        "LEFTI/RESERVED_ORGANISATIONS_SERVICE_MISSION",
    ]
    assert n.social_clause is None
    assert len(n.lots) == 1
    lot = n.lots[0]
    assert lot.id == "1" and lot.title == n.title and lot.cpv == ["55321000"]
    assert lot.reserved is True and lot.deadline == n.deadline
    assert n.description is not None
    assert n.description.startswith("La présente consultation porte sur l'élaboration")
    assert "Conditions d'exécution : Conformément à l'article 36-i" in n.description
    assert n.identifiers == [
        "91489-2019",
        "2019/S 040-091489",
        "https://ted.europa.eu/en/notice/-/detail/91489-2019",
    ]
    assert n.url == "https://ted.europa.eu/en/notice/-/detail/91489-2019"
    assert n.status == NoticeStatus.OPEN
    assert n.raw.startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_f06_award_with_lots_and_winners() -> None:
    n = parse_one("18-412273-001-EXP.xml")
    assert n.uid == "ted:404080-2018"
    assert n.kind == NoticeKind.AWARD
    assert n.title == (
        "Marché de travaux d'infrastructures, d'ouvrage d'art et d'aménagements paysagers de la "
        "ligne BHNS secteur Mandelieu centre"
    )
    assert n.buyer.name == "CAPL"
    assert (n.buyer.postcode, n.buyer.department) == ("06414", "06")
    assert n.published == date(2018, 9, 15)
    assert n.deadline is None
    assert n.contract_nature == ContractNature.WORKS
    assert n.procedure == "neg-w-call"
    assert [lot.id for lot in n.lots] == ["1", "2", "3", "4", "5"]
    assert [lot.title for lot in n.lots][:3] == [
        "Infrastructures",
        "Élargissement Ouvrage d'Art (OA) sur la Siagne",
        "Espaces verts",
    ]
    assert n.lots[0].cpv == ["45234116", "45233200", "44113320", "45232410"]
    assert n.cpv[:4] == ["45234116", "45233200", "44113320", "45232410"]
    assert "33 000 m2 d'aménagement" in (n.lots[0].description or "")  # <FT TYPE="SUP"> inline
    assert n.estimated_value == Money(amount=5530658.98, currency="EUR")
    assert n.awardees == [
        Awardee(name="Eiffage route mediterranée (mandataire)", siret="39876221100298"),
        Awardee(name="Gagneraud Construction (cotraitant)", siret="40268299100102"),
        Awardee(name="NGE Génie Civil", siret="48746933000012"),
        Awardee(name="Paysages méditerranéens", siret="43292584000048"),
    ]
    assert n.reserved is None  # award forms have no LEFTI section
    assert n.places.departments == ["06"] and n.places.nuts == ["FRL03"]


def test_f02_swiss_buyer_french_original() -> None:
    n = parse_one("20-162034-001-EXP.xml")
    assert n.uid == "ted:160552-2020"
    assert n.kind == NoticeKind.TENDER
    assert n.title == "Testeur de radiocommunication LTE pour 3.9G et 4.xG"  # the FR original
    assert n.language == "fr"
    assert n.buyer.name == "Armasuisse Kompetenzbereich Einkauf und Kooperationen CC WTO"
    assert (n.buyer.city, n.buyer.postcode, n.buyer.department) == ("Berne", "CH 3003", None)
    assert n.deadline == date(2020, 5, 25)  # no time given: a bare date
    assert n.cpv == ["32250000"]
    assert n.contract_nature == ContractNature.SUPPLIES
    assert n.reserved is False  # LEFTI without a reservation flag
    assert n.places.nuts == ["CH0"] and n.places.departments == []


def test_f02_uk_two_lots_in_local_time() -> None:
    n = parse_one("20-213571-001-EXP.xml")
    assert n.uid == "ted:209416-2020"
    assert n.title == "Information and Communications Technology Services"
    assert n.language == "en"
    assert n.buyer.name == "English Institute of Sport Ltd"
    assert n.deadline == datetime(2020, 6, 5, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    assert n.deadline.isoformat() == "2020-06-05T12:00:00+01:00"  # type: ignore[union-attr]
    assert n.procedure == "restricted"
    assert [lot.id for lot in n.lots] == ["1", "2"]
    assert [lot.title for lot in n.lots] == ["Managed Services", "Wide Area Network"]
    assert [lot.cpv for lot in n.lots] == [["72500000"], ["64200000"]]
    assert n.cpv == ["72600000", "72500000", "64200000"]
    assert n.estimated_value == Money(amount=1530376, currency="GBP")
    assert n.lots[1].estimated_value == Money(amount=234856, currency="GBP")
    assert n.reserved is False


def test_f15_voluntary_ex_ante_transparency() -> None:
    n = parse_one("21-298854-001-EXP.xml")
    assert n.uid == "ted:295428-2021"
    assert n.kind == NoticeKind.AWARD
    assert n.title.startswith("Accord-cadre mono-attributaire à bons de commande relatif aux")
    assert n.buyer.name == "Mairie de Troyes"
    assert n.buyer.postcode is None and n.buyer.department == "10"  # from n2021:NUTS FRF22
    assert len(n.lots) == 6
    assert n.lots[5].title == "Création et diffusion musicale des manifestations festives"
    assert n.cpv == ["75200000", "48952000"]
    assert n.estimated_value == Money(amount=35360, currency="EUR")
    assert n.awardees == [
        Awardee(name="Discobus — AZ-Production"),
        Awardee(name="Concept Audio"),
    ]
    assert n.deadline is None and n.published == date(2021, 6, 11)


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("path", sorted(LEGACY.glob("*.xml")), ids=lambda p: p.name)
def test_sniff_recognises_legacy_files(path: Path) -> None:
    assert PARSER.sniff(path.read_bytes(), path.name)


@pytest.mark.parametrize(
    "path",
    [
        *sorted((SAMPLES / "ted_eforms").glob("*.xml")),
        SAMPLES / "ted_api_v3" / "ted_search_v3_subset.json",
    ],
    ids=lambda p: p.name,
)
def test_sniff_rejects_other_formats(path: Path) -> None:
    assert not PARSER.sniff(path.read_bytes(), path.name)


# --------------------------------------------------------------------------- variations


def test_publication_number_falls_back_to_no_doc_ojs() -> None:
    data = read("19-090974-001-EXP.xml").replace(b'DOC_ID="091489-2019"', b"", 1)
    assert PARSER.parse(data, "x.xml").notices[0].uid == "ted:91489-2019"


def test_corrigendum_form_is_corrected() -> None:
    data = read("20-162034-001-EXP.xml").replace(b'FORM="F02"', b'FORM="F14"')
    n = PARSER.parse(data, "f14.xml").notices[0]
    assert n.status == NoticeStatus.CORRECTED and n.kind == NoticeKind.OTHER


def test_form_without_reservation_flags_is_not_reserved() -> None:
    data = read("19-090974-001-EXP.xml")
    for flag in (
        b"<RESTRICTED_SHELTERED_WORKSHOP/>",
        b"<RESTRICTED_SHELTERED_PROGRAM/>",
        b"<RESERVED_ORGANISATIONS_SERVICE_MISSION/>",
    ):
        data = data.replace(flag, b"")
    n = PARSER.parse(data, "x.xml").notices[0]
    assert n.reserved is False and n.reserved_kinds == [] and n.evidence.reserved == []


# --------------------------------------------------------------------------- malformed input


def test_truncated_xml_is_one_problem() -> None:
    data = read("18-412273-001-EXP.xml")
    result = PARSER.parse(data[:5000], "18-truncated.xml")
    assert result.notices == []
    assert len(result.problems) == 1 and result.problems[0].origin == "18-truncated.xml"
    assert result.problems[0].reason.startswith("invalid XML")


def test_wrong_encoding_is_reported() -> None:
    text = read("19-090974-001-EXP.xml").decode("utf-8")
    result = PARSER.parse(text.encode("latin-1", errors="replace"), "latin1.xml")
    assert result.notices == [] and result.problems[0].origin == "latin1.xml"


def test_html_entities_and_spaces_in_title() -> None:
    data = read("20-213571-001-EXP.xml").replace(
        b"<P>Information and Communications Technology Services</P>",
        b"<P>  Information &amp;amp; Communications\n   Technology   Services </P>",
    )
    n = PARSER.parse(data, "x.xml").notices[0]
    assert n.title == "Information & Communications Technology Services"


def test_missing_form_is_a_problem_naming_the_notice() -> None:
    data = read("19-090974-001-EXP.xml")
    start, end = data.index(b"<FORM_SECTION>"), data.index(b"</FORM_SECTION>")
    result = PARSER.parse(data[:start] + b"<FORM_SECTION>" + data[end:], "noform.xml")
    assert result.notices == []
    assert result.problems[0].record == "91489-2019"
    assert "form" in result.problems[0].reason


def test_missing_publication_number_is_a_problem() -> None:
    data = read("19-090974-001-EXP.xml").replace(b'DOC_ID="091489-2019"', b"")
    data = data.replace(b"<NO_DOC_OJS>2019/S 040-091489</NO_DOC_OJS>", b"")
    result = PARSER.parse(data, "nonumber.xml")
    assert result.notices == [] and "publication number" in result.problems[0].reason
