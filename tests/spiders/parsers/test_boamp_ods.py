"""OpenDataSoft v2.1 BOAMP records on the CONSTRUCTED page data/samples/boamp/ods_v21 (see README)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from veilleuse.core.errors import ParseError
from veilleuse.core.models import (
    Awardee,
    ContractNature,
    Money,
    Notice,
    NoticeKind,
    NoticeStatus,
    ReservedKind,
)
from veilleuse.core.normalise import PARIS
from veilleuse.spiders.parsers.base import Problem
from veilleuse.spiders.parsers.boamp_dila_json import PARSER as DILA
from veilleuse.spiders.parsers.boamp_ods import PARSER, parse_record
from veilleuse.spiders.parsers.boamp_xml import PARSER as XML

SAMPLES = Path(__file__).parents[3] / "data" / "samples" / "boamp"
FILE = SAMPLES / "ods_v21" / "boamp_records_constructed.json"
ORIGIN = FILE.name


def _page() -> dict[str, Any]:
    return json.loads(FILE.read_bytes())


@pytest.fixture(scope="module")
def notices() -> dict[str, Notice]:
    result = PARSER.parse(FILE.read_bytes(), ORIGIN)
    assert result.problems == [
        Problem(ORIGIN, "notice without IDWEB", "#6"),
        Problem(
            ORIGIN,
            "'donnees' is not valid JSON (Unterminated string starting at: line 1 column 31 "
            "(char 30)); flat fields only",
            "99-000007",
        ),
    ]
    return {n.native_id: n for n in result.notices}


def test_page_yields_six_notices(notices: dict[str, Notice]) -> None:
    assert list(notices) == [
        "16-186394",
        "99-000002",
        "99-000003",
        "99-000004",
        "99-000005",
        "99-000007",
    ]
    assert all(n.uid == f"boamp:{n.native_id}" and n.source == "boamp" for n in notices.values())


def test_v230_donnees_from_a_real_notice(notices: dict[str, Notice]) -> None:
    notice = notices["16-186394"]
    assert notice.kind == NoticeKind.TENDER and notice.status == NoticeStatus.OPEN
    assert (
        notice.title
        == "2016 DFA 167 - Prestations de remorquage pour les véhicules de la ville de Paris"
    )
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
    assert notice.published == date(2017, 1, 1)
    # flat datelimitereponse (UTC) shown in Paris time: the same instant as RECEPT_OFFRES
    assert notice.deadline == datetime(2017, 2, 7, 12, tzinfo=PARIS)
    assert notice.deadline.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]
    assert notice.cpv == ["50118110"]
    assert notice.contract_nature == ContractNature.SERVICES
    assert notice.procedure == "open"
    assert notice.places.departments == ["75"] and notice.places.nuts == ["FR10"]
    assert [(lot.id, lot.cpv) for lot in notice.lots] == [("1", ["50118110"]), ("2", ["50118110"])]
    assert notice.reserved is False and notice.evidence.reserved == ["MARCHE_RESERVE_NON"]
    assert notice.url == "https://www.boamp.fr/pages/avis/?q=idweb:16-186394"
    assert notice.identifiers == ["16-186394"]
    assert notice.raw["idweb"] == "16-186394"


def test_reserved_record(notices: dict[str, Notice]) -> None:
    notice = notices["99-000002"]
    assert notice.reserved is True
    assert notice.reserved_kinds == [ReservedKind.SHELTERED_WORKSHOP]
    assert notice.evidence.reserved == ["MARCHE_RESERVE_OUI/ATELIERS_PROTEGES"]
    assert notice.social_clause is True
    assert notice.evidence.social_clause == [
        "CONDITION_PARTICULIERE_EXECUTION: Clause sociale d'insertion : le titulaire réalisera au "
        "moins 300 heures d'insertion au profit de personnes éloignées de l'emploi."
    ]
    assert notice.buyer.department == "59" and notice.buyer.postcode == "59000"
    assert notice.cpv == ["77310000", "77314000"]
    assert notice.estimated_value == Money(amount=60000.0)
    assert notice.deadline == datetime(2023, 6, 30, 12, tzinfo=PARIS)
    assert notice.procedure == "adapted"
    assert len(notice.lots) == 1


def test_eforms_donnees_falls_back_to_flat_fields(notices: dict[str, Notice]) -> None:
    notice = notices["99-000003"]
    assert notice.title == "Réhabilitation de la salle polyvalente"
    assert notice.buyer.name == "Syndicat intercommunal exemple (fictif)"
    assert notice.buyer.department == "35" and notice.places.departments == ["35"]
    assert notice.contract_nature == ContractNature.WORKS
    assert notice.published == date(2024, 2, 1)
    assert notice.deadline == datetime(2024, 3, 4, 12, tzinfo=PARIS)
    assert notice.cpv == [] and notice.reserved is None
    assert notice.identifiers == ["99-000003", "00000000-0000-4000-8000-0000000000f3"]
    assert [lot.id for lot in notice.lots] == ["1"]


def test_award_without_donnees(notices: dict[str, Notice]) -> None:
    notice = notices["99-000004"]
    assert notice.kind == NoticeKind.AWARD
    assert notice.awardees == [Awardee(name="ESAT exemple (fictif)")]
    assert notice.deadline is None and notice.lots == []
    assert notice.buyer.department == "13"


def test_cancelled_record_with_single_values(notices: dict[str, Notice]) -> None:
    notice = notices["99-000005"]
    assert notice.status == NoticeStatus.CANCELLED
    assert notice.contract_nature == ContractNature.SUPPLIES
    assert notice.places.departments == ["69"]
    assert notice.deadline == date(2023, 5, 2)  # a day without time stays a date


def test_unreadable_donnees_keeps_flat_fields(notices: dict[str, Notice]) -> None:
    notice = notices["99-000007"]
    assert notice.title == "Nettoyage des locaux administratifs"
    assert notice.buyer.name == "Département exemple (fictif)"


def test_parse_record_for_the_live_spider() -> None:
    record = _page()["results"][1]
    problems: list[Problem] = []
    notice = parse_record(record, "https://example.org/page1", "boamp", problems)
    assert notice.native_id == "99-000002" and problems == []
    with pytest.raises(ParseError) as caught:
        parse_record({"objet": "x"}, "live", "boamp")
    assert caught.value.origin == "live"
    with pytest.raises(ParseError):
        parse_record({"idweb": "99-1"}, "live", "boamp")  # no title anywhere


def test_v20_record_wrapper_and_bare_list() -> None:
    record = _page()["results"][4]
    data = json.dumps([{"record": {"fields": record}}]).encode()
    (notice,) = PARSER.parse(data, "export.json").notices
    assert notice.native_id == "99-000005"


def test_sniff() -> None:
    assert PARSER.sniff(FILE.read_bytes(), FILE.name)
    assert not XML.sniff(FILE.read_bytes(), FILE.name)
    assert not DILA.sniff(FILE.read_bytes(), FILE.name)
    dila = SAMPLES / "legacy_dila_api_json" / "20-152081.json"
    assert not PARSER.sniff(dila.read_bytes(), dila.name)
    assert not PARSER.sniff((SAMPLES / "xml_v230" / "test-pub.xml").read_bytes(), "x.xml")
    assert not PARSER.sniff(b'{"total_count": 3, "results": [{"id": "aides"}]}', "other.json")


def test_malformed_payloads() -> None:
    (problem,) = PARSER.parse(FILE.read_bytes()[:1000], "cut.json").problems
    assert problem.origin == "cut.json" and problem.reason.startswith("invalid JSON")
    (problem,) = PARSER.parse(b'{"total_count": 0}', "x.json").problems
    assert "results" in problem.reason
    (problem,) = PARSER.parse(b'{"results": ["\x81"]}', "x.json").problems
    assert "undecodable" in problem.reason


def test_entities_and_spaces_in_flat_fields() -> None:
    record = dict(
        _page()["results"][4], objet="  Repas &amp;amp; go\u00fbters  ", nomacheteur=" Ville  X "
    )
    notice = parse_record(record, "x", "boamp")
    assert (notice.title, notice.buyer.name) == ("Repas & goûters", "Ville X")
