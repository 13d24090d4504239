"""DECP 2019 and 2022 formats → award notices: buyer, awardees, CPV, amounts, social clause."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from veilleuse.core.models import Awardee, ContractNature, NoticeKind
from veilleuse.spiders.parsers.decp import PARSER

SAMPLES = Path(__file__).parents[3] / "data" / "samples" / "decp"
SIMPLE = SAMPLES / "decp_rama_001_marche_simple.json"
MODIFIED = SAMPLES / "decp_rama_002_modification_montant.json"
FORMAT_2022 = SAMPLES / "decp_processing_test_2022.json"


def test_sniff() -> None:
    for path in (SIMPLE, MODIFIED, FORMAT_2022):
        assert PARSER.sniff(path.read_bytes(), path.name)
    assert not PARSER.sniff(b'{"count": 1, "results": []}', "at.json")
    assert not PARSER.sniff(b"<rss/>", "x.xml")


def test_2019_simple_contract() -> None:
    result = PARSER.parse(SIMPLE.read_bytes(), SIMPLE.name)
    assert result.problems == []
    [notice] = result.notices
    assert notice.uid == "decp:200013183000212018MAPA20180500"
    assert notice.kind is NoticeKind.AWARD
    assert notice.title == "FOURNITURE D'UN AUTOMATE DE SET UP PCR"
    assert notice.buyer.name == "LASAT"
    assert notice.buyer.siret == "20001318300021"
    assert notice.awardees == [Awardee(name="TECAN FRANCE SASU", siret="38024392300089")]
    assert notice.cpv == ["38950000"]  # check digit stripped
    assert notice.contract_nature is ContractNature.SUPPLIES
    assert notice.procedure == "Procédure adaptée"
    assert notice.estimated_value is not None and notice.estimated_value.amount == 80000.0
    assert notice.published == date(2018, 12, 3)
    assert notice.places.departments == ["19"]  # postcode 19000 (Tulle)
    assert notice.social_clause is None and notice.evidence.social_clause == []
    assert notice.deadline is None
    assert [lot.id for lot in notice.lots] == ["1"]
    assert notice.lots[0].cpv == ["38950000"]
    assert notice.identifiers == ["2018MAPA20180500"]


def test_2019_modification_applies_latest_amount() -> None:
    [notice] = PARSER.parse(MODIFIED.read_bytes(), MODIFIED.name).notices
    assert notice.native_id == "200013183000212018MAPA20180501"
    assert notice.estimated_value is not None and notice.estimated_value.amount == 100000.0
    assert notice.lots[0].estimated_value == notice.estimated_value
    assert notice.awardees == [Awardee(name="TECAN FRANCE SASU", siret="38024392300089")]


def test_2022_format_exact_fields() -> None:
    result = PARSER.parse(FORMAT_2022.read_bytes(), FORMAT_2022.name)
    assert result.problems == []
    assert [n.native_id for n in result.notices] == [
        "219740222000192022VI2022.242",
        "221300015002472020F00075",
        "21030042200016202401L04",
        "216901231000112019K1209",
        "21500222100012202207LOT03",
    ]
    electricity, stadium, facades, school, hall = result.notices

    assert electricity.title == "Eléctricité courant fort/courant faible lot no4"
    assert electricity.buyer.siret == "21974022200019" and electricity.buyer.name is None
    assert electricity.cpv == ["45316110"]
    assert electricity.contract_nature is ContractNature.WORKS
    assert electricity.places.departments == ["974"]  # postcode 97430
    assert (
        electricity.estimated_value is not None and electricity.estimated_value.amount == 137614.0
    )
    assert electricity.awardees == [Awardee(siret="12345678900023")]  # the TVA holder is left out
    assert electricity.social_clause is False
    assert electricity.evidence.social_clause == [
        "considerationsSociales: Pas de considération sociale"
    ]
    assert electricity.identifiers == ["2022VI2022.242", "2023-122455T"]
    assert electricity.published == date(2022, 11, 23)

    # montant 1e17 is rejected; the latest modification with a montant (22 540 €) applies,
    # and its titulaires replace the original one
    assert stadium.cpv == ["71631300"]
    assert stadium.contract_nature is ContractNature.SERVICES
    assert stadium.places.departments == ["87"]
    assert stadium.estimated_value is not None and stadium.estimated_value.amount == 22540.0
    assert [a.siret for a in stadium.awardees] == [
        "12345678900022",
        "05650171100115",
        "88359829400030",
    ]
    assert stadium.raw["concessionnaires"] == ""

    assert facades.places.departments == ["03"]  # postcode 03120 keeps its leading zero
    assert facades.estimated_value is not None and facades.estimated_value.amount == 124557.46
    assert facades.raw["concessionnaires"] is None  # NaN in the file

    assert school.places.departments == ["69"]  # Code commune 69123 (Lyon)
    assert school.estimated_value is not None and school.estimated_value.amount == 1214900.0
    assert [a.siret for a in school.awardees] == [
        "39210031900038",
        "39210873400063",
        "39830819700035",
    ]

    assert hall.places.departments == ["50"]
    assert hall.social_clause is True
    assert hall.lots[0].social_clause is True
    assert hall.evidence.social_clause == [
        "considerationsSociales: Critère social",
        "considerationsSociales: Clause sociale",
    ]
    assert hall.estimated_value is not None and hall.estimated_value.amount == 49599.25


def test_absurd_amount_without_modification_is_none() -> None:
    payload = json.loads(FORMAT_2022.read_bytes().replace(b"NaN", b"null"))
    stadium = payload["marches"]["marche"][1]
    stadium["modifications"] = []
    [notice] = PARSER.parse(
        json.dumps({"marches": {"marche": [stadium]}}).encode(), "d.json"
    ).notices
    assert notice.raw["montant"] == 1e17
    assert notice.estimated_value is None
    assert notice.lots[0].estimated_value is None


def test_bad_records_are_problems_and_others_survive() -> None:
    payload = json.loads(SIMPLE.read_bytes())
    good = payload["marches"][0]
    no_title = dict(good, id="X1", uid=None, objet="")
    bad_date = dict(good, id="X2", uid=None, dateNotification="03/13/2018")
    payload["marches"] = [no_title, good, bad_date, 42]
    result = PARSER.parse(json.dumps(payload).encode(), "decp.json")
    assert [n.native_id for n in result.notices] == ["200013183000212018MAPA20180500"]
    assert [(p.origin, p.record) for p in result.problems] == [
        ("decp.json", "20001318300021X1"),
        ("decp.json", "X2"),
        ("decp.json", "#3"),
    ]
    assert result.problems[0].reason == "missing objet (title)"


def test_unreadable_payloads() -> None:
    cut = PARSER.parse(FORMAT_2022.read_bytes()[:4000], "decp.json")
    assert cut.notices == [] and cut.problems[0].reason.startswith("invalid JSON")
    shape = PARSER.parse(b'{"marches": {"autre": []}}', "decp.json")
    assert shape.problems[0].reason.startswith("unexpected JSON shape")
