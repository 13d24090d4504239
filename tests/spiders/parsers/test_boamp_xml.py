"""BOAMP XML v230 parser on the 11 real notices of data/samples/boamp/xml_v230 (see its README)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

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
from veilleuse.spiders.parsers.boamp_dila_json import PARSER as DILA
from veilleuse.spiders.parsers.boamp_ods import PARSER as ODS
from veilleuse.spiders.parsers.boamp_xml import PARSER

SAMPLES = Path(__file__).parents[3] / "data" / "samples" / "boamp"
XML = SAMPLES / "xml_v230"
CET = timezone(timedelta(hours=1))


def parse_one(name: str) -> Notice:
    result = PARSER.parse((XML / name).read_bytes(), name)
    assert result.problems == []
    (notice,) = result.notices
    return notice


# file, IDWEB, kind, lots, CPV (first), département, title, buyer, deadline, reserved
TABLE = [
    ("test-pub.xml", "16-186394", NoticeKind.TENDER, 2, "50118110", "75",
     "2016 DFA 167 - Prestations de remorquage pour les véhicules de la ville de Paris",
     "Ville de Paris", datetime(2017, 2, 7, 12, tzinfo=CET), False),
    ("test-pub-2.xml", "16-181902", NoticeKind.TENDER, 1, "71240000", "13",
     "Mission de maîtrise d'oeuvre pour la conception d'un ouvrage d'art - Port de Marseille - "
     "complexe international Cap Janet",
     "Grand Port Maritime de Marseille", datetime(2017, 1, 30, 16, tzinfo=CET), False),
    ("test-pub-3.xml", "16-186063", NoticeKind.TENDER, 1, "45211000", "77",
     "Concours de maîtrise d'oeuvre pour la construction de 63 logements sociaux dans la ZAC de "
     "Maurepas à Mitry-Mory",
     "SEMMY", datetime(2017, 2, 10, 15, tzinfo=CET), False),
    ("test-pub-5.xml", "16-186359", NoticeKind.TENDER, 2, "79952000", "75",
     "Conception, organisation et réalisation de manifestations pour les ministères sociaux",
     "MTSFP", datetime(2017, 2, 17, 12, tzinfo=CET), False),
    ("test-pub-8.xml", "17-40964", NoticeKind.TENDER, 2, "65100000", "33",
     "DELEGATION DU SERVICE PUBLIC D'EAU POTABLE",
     "COMMUNE DE CARCANS", datetime(2017, 4, 26, 12, tzinfo=CET), False),
    ("test-attribution-2.xml", "16-138580", NoticeKind.AWARD, 0, None, "17",
     "Etude prospective à la fois technique, financière et sociale d'optimisation du service "
     "politique des déchets",
     "Communauté d'Agglomération de Saintes", None, None),
    ("test-attribution-4.xml", "16-183123", NoticeKind.AWARD, 0, None, "10",
     "Réalisation, fabrication, impression et diffusion de catalogues pour le compte de la Ville de "
     "Troyes - Lot no 3 : Impression et livraison des catalogues de l'exposition 'Repenser Renoir' "
     "du musée d'art moderne de Troyes",
     "Ville de Troyes", None, None),
    ("test-attribution-6.xml", "17-1515", NoticeKind.AWARD, 0, "24542000", "05",
     "Fourniture de polymères pour la déshydratation des boues de la station d'épuration de Gap",
     "Communauté d'agglomérat. du gapençais", None, None),
    ("test-attribution-8.xml", "17-4742", NoticeKind.AWARD, 0, "79625000", "42",
     "DAMR 2016/01 PRESTATION D'INTERIM MEDICAL EN ANESTHESIE-REANIMATION",
     "CHU St Etienne", None, None),
    ("test-attribution-10.xml", "16-185754", NoticeKind.AWARD, 0, "45212100", "76",
     # no TITRE_MARCHE and a long OBJET_COMPLET: the (lower-cased) RESUME_OBJET, capitalised
     "Mise en oeuvre d'une aire de glisse (skatepark, roller, bmx et trottinette) sur le site de la "
     "mâture à fécamp",
     "ville de Fécamp", None, None),
    ("test-attribution-12.xml", "17-2599", NoticeKind.AWARD, 21, "15890000", "83",
     "Fourniture de denrées alimentaires pour le Centre Communal d'Action Sociale de Toulon",
     "C.C.A.S. de Toulon", None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "idweb", "kind", "lots", "cpv", "dep", "title", "buyer", "deadline", "reserved"), TABLE
)
def test_every_sample(
    name: str,
    idweb: str,
    kind: NoticeKind,
    lots: int,
    cpv: str | None,
    dep: str,
    title: str,
    buyer: str,
    deadline: datetime | None,
    reserved: bool | None,
) -> None:
    notice = parse_one(name)
    assert (notice.uid, notice.native_id, notice.source) == (f"boamp:{idweb}", idweb, "boamp")
    assert notice.kind == kind
    assert len(notice.lots) == lots
    assert (notice.cpv[0] if notice.cpv else None) == cpv
    assert notice.buyer.department == dep
    assert notice.places.departments == [dep]
    assert notice.title == title
    assert notice.buyer.name == buyer
    assert notice.deadline == deadline
    if deadline is not None:
        assert notice.deadline.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]
    assert notice.reserved is reserved
    assert notice.reserved_kinds == []
    assert notice.social_clause is None
    assert notice.status == NoticeStatus.OPEN
    assert notice.language == "fr"
    assert notice.identifiers[0] == idweb
    assert notice.url == f"https://www.boamp.fr/pages/avis/?q=idweb:{idweb}"
    assert f"<IDWEB>{idweb}</IDWEB>" in notice.raw
    assert notice.content_hash


def test_call_with_two_lots() -> None:
    notice = parse_one("test-pub.xml")
    assert notice.published == date(2017, 1, 1)
    assert notice.description == (
        "Accords-cadres à bons de commande relatifs à des prestations de remorquage pour les "
        "véhicules de la ville de Paris, en deux lots séparés."
    )
    assert notice.buyer.model_dump() == {
        "name": "Ville de Paris",
        "siret": None,
        "city": "Paris cedex 13",
        "postcode": "75639",
        "department": "75",
    }
    assert notice.contract_nature == ContractNature.SERVICES
    assert notice.procedure == "open"
    assert notice.places.nuts == ["FR10"]
    assert [(lot.id, lot.title, lot.cpv) for lot in notice.lots] == [
        (
            "1",
            "Prestations de remorquage pour les véhicules légers de la ville de Paris",
            ["50118110"],
        ),
        ("2", "Prestations de remorquage pour les poids lourds de la ville de Paris", ["50118110"]),
    ]
    assert all(lot.deadline == notice.deadline for lot in notice.lots)
    assert notice.evidence.reserved == ["MARCHE_RESERVE_NON"]
    assert notice.identifiers == ["16-186394"]


def test_prestation_reservee_is_a_profession_not_a_reserved_contract() -> None:
    notice = parse_one("test-pub-3.xml")
    assert notice.reserved is False  # from MARCHE_RESERVE_NON
    assert notice.reserved_kinds == []
    assert notice.evidence.reserved == [
        "MARCHE_RESERVE_NON",
        "PRESTATION_RESERVEE_OUI: Architecte (profession réglementée)",
    ]
    assert notice.procedure == "restricted"
    (lot,) = notice.lots
    assert lot.id == "1" and lot.cpv == ["45211000"]


def test_lot_values_and_secondary_cpv() -> None:
    notice = parse_one("test-pub-5.xml")
    assert [lot.estimated_value for lot in notice.lots] == [
        Money(amount=1083333.0),
        Money(amount=6333333.0),
    ]
    assert notice.estimated_value == Money(amount=7416666.0)  # sum of the lots
    assert parse_one("test-pub-2.xml").lots[0].cpv == ["71240000", "79311000", "71335000"]
    assert parse_one("test-pub-8.xml").estimated_value == Money(amount=3200000.0)


def test_award_with_five_winners() -> None:
    notice = parse_one("test-attribution-6.xml")
    assert notice.awardees == [
        Awardee(name=n)
        for n in (
            "ADIPAP",
            "KEMIRA FRANCE SAS",
            "OTV SUD AFRIQUE",
            "SAS SNF",
            "DIAGONAL WATER TREATMENT",
        )
    ]
    assert notice.lots == []
    assert notice.published == date(2017, 1, 4)
    assert notice.buyer.postcode == "05000"
    assert notice.identifiers == ["17-1515", "16-162580"]  # itself, then the original call


def test_award_with_21_lots_links_the_ted_notice() -> None:
    notice = parse_one("test-attribution-12.xml")
    assert notice.buyer.siret == "26830066200015"
    assert notice.contract_nature == ContractNature.SUPPLIES
    assert [lot.id for lot in notice.lots] == [str(i) for i in range(1, 22)]
    assert notice.lots[0].title == "surgelés viande poisson légumes"
    assert notice.lots[0].cpv == ["15896000"]
    assert notice.lots[0].places.nuts == ["FR825"]
    assert notice.lots[0].places.departments == ["83"]  # NUTS-3 FR825 (Var)
    assert notice.estimated_value == Money(amount=855500.0)  # VALEUR_MAX of the range
    assert notice.identifiers == ["17-2599", "16-107438", "252708-2016"]
    assert len(notice.awardees) == 12
    assert notice.awardees[0] == Awardee(name="Brake France Service")


def test_award_value_and_procedure() -> None:
    notice = parse_one("test-attribution-2.xml")
    assert notice.estimated_value == Money(amount=38820.0)  # ATTRIBUTION/VALEUR_TOTALE
    assert notice.procedure == "adapted"
    assert notice.awardees == [Awardee(name="SARL ENVIRONNEMENT & SOLUTIONS")]


# --------------------------------------------------------------------------- sniff


def test_sniff_recognises_its_files_only() -> None:
    for path in XML.glob("*.xml"):
        assert PARSER.sniff(path.read_bytes(), path.name)
        assert not DILA.sniff(path.read_bytes(), path.name)
        assert not ODS.sniff(path.read_bytes(), path.name)
    for path in (
        SAMPLES / "legacy_dila_api_json" / "20-152081.json",
        SAMPLES / "ods_v21" / "boamp_records_constructed.json",
    ):
        assert not PARSER.sniff(path.read_bytes(), path.name)
    assert not PARSER.sniff(
        b'<?xml version="1.0"?><TED_EXPORT><CODED_DATA_SECTION/></TED_EXPORT>', "x.xml"
    )
    assert not PARSER.sniff(b'<?xml version="1.0"?><ContractNotice xmlns="urn:x"/>', "x.xml")


# --------------------------------------------------------------------------- malformed input


def _sample(name: str = "test-pub.xml") -> bytes:
    return (XML / name).read_bytes()


def test_truncated_xml_is_one_problem_naming_the_file() -> None:
    result = PARSER.parse(_sample()[:3000], "truncated.xml")
    assert result.notices == []
    (problem,) = result.problems
    assert problem.origin == "truncated.xml" and problem.reason.startswith("invalid XML")


def test_broken_tag_is_a_problem() -> None:
    data = _sample().replace(b"</DENOMINATION>", b"</DENOMINATON>", 1)
    (problem,) = PARSER.parse(data, "broken.xml").problems
    assert "invalid XML" in problem.reason


def test_wrong_encoding_is_a_problem() -> None:
    data = _sample().decode("utf-8").encode("latin-1")  # still declares UTF-8
    result = PARSER.parse(data, "latin1.xml")
    assert result.notices == [] and len(result.problems) == 1
    assert result.problems[0].origin == "latin1.xml"


def test_entities_and_stray_spaces_are_cleaned() -> None:
    data = (
        _sample()
        .replace(
            b"<DENOMINATION>Ville de Paris</DENOMINATION>",
            b"<DENOMINATION>  Ville   de\n Paris &amp;amp; co </DENOMINATION>",
        )
        .replace(b"<CP>75639</CP>", b"<CP> 75639 </CP>")
    )
    notice = PARSER.parse(data, "x.xml").notices[0]
    assert notice.buyer.name == "Ville de Paris & co"
    assert notice.buyer.postcode == "75639" and notice.buyer.department == "75"


def test_one_bad_notice_among_several() -> None:
    good = _sample().split(b"?>", 1)[1]
    bad = _sample("test-pub-2.xml").split(b"?>", 1)[1]
    bad = bad.replace(b"<TITRE_MARCHE>", b"<X>").replace(b"</TITRE_MARCHE>", b"</X>")
    bad = bad.replace(b"<OBJET_COMPLET>", b"<Y>").replace(b"</OBJET_COMPLET>", b"</Y>")
    bad = bad.replace(b"<RESUME_OBJET>", b"<Z>").replace(b"</RESUME_OBJET>", b"</Z>")
    no_id = _sample("test-pub-5.xml").split(b"?>", 1)[1].replace(b"<IDWEB>16-186359</IDWEB>", b"")
    data = b"<ANNONCES>" + good + bad + no_id + b"</ANNONCES>"
    result = PARSER.parse(data, "batch.xml")
    assert [n.native_id for n in result.notices] == ["16-186394"]
    assert [(p.origin, p.record) for p in result.problems] == [
        ("batch.xml", "16-181902"),
        ("batch.xml", "#3"),
    ]
    assert "title" in result.problems[0].reason
    assert "IDWEB" in result.problems[1].reason


def test_no_annonce_is_a_problem() -> None:
    (problem,) = PARSER.parse(b"<ROOT><X/></ROOT>", "empty.xml").problems
    assert "no ANNONCE" in problem.reason


def test_reserved_contract_with_sheltered_workshops() -> None:
    data = (
        _sample()
        .replace(
            b"<MARCHE_RESERVE_NON/>",
            b"<MARCHE_RESERVE_OUI><ATELIERS_PROTEGES/></MARCHE_RESERVE_OUI>",
        )
        .replace(b"<ENVIRONNEMENTAUX/>", b"<SOCIAUX/><ENVIRONNEMENTAUX/>")
    )
    notice = PARSER.parse(data, "x.xml").notices[0]
    assert notice.reserved is True
    assert notice.reserved_kinds == [ReservedKind.SHELTERED_WORKSHOP]
    assert notice.evidence.reserved == ["MARCHE_RESERVE_OUI/ATELIERS_PROTEGES"]
    assert notice.social_clause is True
    assert notice.evidence.social_clause == ["CRITERES_SOCIAUX_ENV/SOCIAUX"]


def test_corrected_and_cancelled_statuses() -> None:
    corrected = _sample().replace(b"<INITIAL/>", b"<RECTIFICATIF/>")
    assert PARSER.parse(corrected, "x.xml").notices[0].status == NoticeStatus.CORRECTED
    cancelled = _sample().replace(b"<INITIAL/>", b"<ANNULATION/>")
    notice = PARSER.parse(cancelled, "x.xml").notices[0]
    assert (notice.status, notice.kind) == (NoticeStatus.CANCELLED, NoticeKind.TENDER)
