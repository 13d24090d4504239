"""TED search API v3 parser: exact fields on a real response, sniffing, malformed records."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from veilleuse.core.models import Money, Notice, NoticeKind
from veilleuse.spiders.parsers.ted_api import PARSER, ted_xml_url

SAMPLES = Path(__file__).parents[3] / "data" / "samples"
API_FILE = SAMPLES / "ted_api_v3" / "ted_search_v3_subset.json"
CEST = timezone(timedelta(hours=2))


def payload() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(API_FILE.read_bytes())
    return data


@pytest.fixture(scope="module")
def notices() -> dict[str, Notice]:
    result = PARSER.parse(API_FILE.read_bytes(), API_FILE.name)
    assert result.problems == []
    return {n.native_id: n for n in result.notices}


def test_all_five_notices_in_order() -> None:
    result = PARSER.parse(API_FILE.read_bytes(), API_FILE.name)
    assert [n.uid for n in result.notices] == [
        "ted:475939-2026",
        "ted:476004-2026",
        "ted:476630-2026",
        "ted:476633-2026",
        "ted:476651-2026",
    ]


def test_framework_without_deadline(notices: dict[str, Notice]) -> None:
    n = notices["475939-2026"]
    assert n.title == (
        "Suède – Équipement de commande et de contrôle du trafic ferroviaire – Ramavtal avseende "
        "kompletteringar av befintlig markutrustning på Saltsjöbanan och Lidingöbanan"
    )
    assert n.language == "fr"
    assert n.kind == NoticeKind.OTHER  # no notice-type asked for and no deadline given
    assert n.buyer.name == "Region Stockholm - Trafiknämnden"
    assert (n.buyer.city, n.buyer.department) == ("Stockholm", None)
    assert n.published == date(2026, 7, 10)
    assert n.deadline is None
    assert n.cpv == ["34632000"]
    assert n.estimated_value == Money(amount=45000000, currency="SEK")
    assert [lot.id for lot in n.lots] == ["1"]
    assert n.url == "https://ted.europa.eu/fr/notice/-/detail/475939-2026"
    assert n.identifiers == ["475939-2026", "https://ted.europa.eu/en/notice/-/detail/475939-2026"]
    assert n.reserved is None and n.social_clause is None
    assert n.raw["ND"] == "475939-2026"


def test_tender_with_deadline_and_offset(notices: dict[str, Notice]) -> None:
    n = notices["476004-2026"]
    assert n.kind == NoticeKind.TENDER
    assert n.title == "Suède – Services juridiques – Visselblåsarfunktion"
    assert n.buyer.name == "Stadskontoret" and n.buyer.city == "Malmö"
    assert n.deadline == datetime(2026, 8, 25, 23, 59, tzinfo=CEST)
    assert n.deadline.isoformat() == "2026-08-25T23:59:00+02:00"  # type: ignore[union-attr]
    assert n.cpv == ["79100000", "79111000", "79720000"]  # duplicates removed, main first
    assert n.estimated_value == Money(amount=7000000, currency="SEK")
    assert len(n.lots) == 1 and n.lots[0].cpv == ["79100000"]


def test_restricted_procedure_uses_request_deadline(notices: dict[str, Notice]) -> None:
    n = notices["476630-2026"]
    assert n.title == (
        "Suède – Matériel de levage et de manutention – Ramavtal avseende instegsplattformar och "
        "frontarbetsplattformar"
    )
    assert n.buyer.name == "SJ AB" and n.buyer.city == "STOCKHOLM"
    assert n.deadline == datetime(2026, 8, 21, 21, 59, 59, tzinfo=UTC)
    assert len(n.cpv) == 13 and n.cpv[0] == "42410000"
    assert n.kind == NoticeKind.TENDER


def test_tender_deadline_wins_over_other_deadline_fields(notices: dict[str, Notice]) -> None:
    n = notices["476633-2026"]
    assert n.buyer.name == "Statens Geotekniska Institut"
    assert n.deadline == datetime(2026, 8, 31, 21, 59, 59, tzinfo=UTC)  # not deadline-date-lot
    assert n.cpv == ["71332000"]
    assert n.estimated_value == Money(amount=3000000, currency="SEK")


def test_two_lots_repeat_their_values(notices: dict[str, Notice]) -> None:
    n = notices["476651-2026"]
    assert n.title == (
        "Suède – Distributeurs de boissons – Hyra kaffeautomater, service samt beställning av "
        "tillhörande varor"
    )
    assert n.buyer.name == "Kungliga Tekniska högskolan"
    assert [lot.id for lot in n.lots] == ["1", "2"]
    assert [lot.cpv for lot in n.lots] == [["42968100"], ["42968100"]]
    assert all(lot.deadline == datetime(2026, 8, 25, 21, 59, 59, tzinfo=UTC) for lot in n.lots)
    assert n.deadline == datetime(2026, 8, 25, 21, 59, 59, tzinfo=UTC)
    assert n.cpv == ["42968100", "15860000"]


def test_ted_xml_url() -> None:
    first = payload()["notices"][0]
    assert ted_xml_url(first) == "https://ted.europa.eu/en/notice/475939-2026/xml"
    assert ted_xml_url({"links": {}}) is None
    assert ted_xml_url({}) is None


def test_raw_api_response_shape_is_accepted() -> None:
    raw = {"notices": payload()["notices"][:2], "totalNoticeCount": 2, "iterationNextToken": None}
    result = PARSER.parse(json.dumps(raw).encode(), "page-1.json")
    assert [n.native_id for n in result.notices] == ["475939-2026", "476004-2026"]


def test_title_preference_and_french_department() -> None:
    notice = {
        "publication-number": "00012345-2026",
        "notice-title": {"eng": "Cleaning", "deu": "Reinigung"},
        "buyer-name": {"deu": ["Stadt"]},
        "notice-type": "cn-standard",
        "buyer-country": ["FRA"],
        "buyer-post-code": ["59000"],
        "place-of-performance": ["FRA", "FRE11", "FRE1"],
    }
    n = PARSER.parse(json.dumps({"notices": [notice]}).encode(), "x.json").notices[0]
    assert n.native_id == "12345-2026"
    assert n.title == "Reinigung" and n.language == "de"  # the notice's language before English
    assert n.kind == NoticeKind.TENDER
    assert n.buyer.department == "59"
    assert n.places.nuts == ["FRE11"] and n.places.departments == ["59"]


# --------------------------------------------------------------------------- sniffing


def test_sniff_recognises_the_api_file() -> None:
    assert PARSER.sniff(API_FILE.read_bytes(), API_FILE.name)


@pytest.mark.parametrize(
    "path",
    [
        *sorted((SAMPLES / "ted_eforms").glob("*.xml")),
        *sorted((SAMPLES / "ted_legacy_xml").glob("*.xml")),
    ],
    ids=lambda p: p.name,
)
def test_sniff_rejects_xml_formats(path: Path) -> None:
    assert not PARSER.sniff(path.read_bytes(), path.name)


def test_sniff_rejects_other_json() -> None:
    assert not PARSER.sniff(b'{"count": 1, "results": [{"id": 1, "name": "aide"}]}', "a.json")


# --------------------------------------------------------------------------- malformed input


def test_bad_records_become_problems_and_the_rest_comes_through() -> None:
    good = payload()["notices"][:2]
    no_title = {"publication-number": "1-2026", "PD": "2026-07-10+02:00"}
    no_number = {"TI": {"fra": "Sans numéro"}}
    bad_date = dict(good[1], **{"publication-number": "2-2026", "PD": "10 juillet"})
    body = {"notices": [good[0], no_title, "oops", no_number, bad_date, good[1]]}
    result = PARSER.parse(json.dumps(body).encode(), "mixed.json")
    assert [n.native_id for n in result.notices] == ["475939-2026", "476004-2026"]
    assert [(p.origin, p.record) for p in result.problems] == [
        ("mixed.json", "1-2026"),
        ("mixed.json", None),
        ("mixed.json", None),
        ("mixed.json", "2-2026"),
    ]
    assert "title" in result.problems[0].reason
    assert "not an object" in result.problems[1].reason
    assert "publication-number" in result.problems[2].reason
    assert "date" in result.problems[3].reason


def test_truncated_json_is_one_problem() -> None:
    data = API_FILE.read_bytes()
    result = PARSER.parse(data[:1000], "cut.json")
    assert result.notices == []
    assert len(result.problems) == 1 and result.problems[0].reason.startswith("invalid JSON")
    assert result.problems[0].origin == "cut.json"


def test_wrong_encoding_is_one_problem() -> None:
    data = API_FILE.read_bytes().decode("utf-8").encode("cp1252", errors="replace")
    result = PARSER.parse(data, "cp1252.json")
    assert result.notices == []
    assert result.problems[0].reason.startswith("not UTF-8")


def test_response_without_notices_list() -> None:
    result = PARSER.parse(b'{"error": "quota"}', "err.json")
    assert result.notices == [] and "notices" in result.problems[0].reason


def test_html_entities_and_spaces_in_titles() -> None:
    notice = dict(payload()["notices"][1])
    notice["TI"] = {"fra": "  Suède &amp;amp; Norvège –\n  Services   juridiques "}
    n = PARSER.parse(json.dumps({"notices": [notice]}).encode(), "x.json").notices[0]
    assert n.title == "Suède & Norvège – Services juridiques"


# --------------------------------------------------------------------------- notice kind


@pytest.mark.parametrize(
    ("fields", "kind"),
    [
        ({"notice-type": "cn-standard"}, NoticeKind.TENDER),
        ({"notice-type": ["cn-social"]}, NoticeKind.TENDER),
        ({"notice-type": {"eng": ["can-standard"]}}, NoticeKind.AWARD),
        ({"notice-type": {"value": "pin-only"}}, NoticeKind.PIN),
        ({"notice-type": "pin-cfc-standard"}, NoticeKind.PIN),
        ({"notice-type": "veat"}, NoticeKind.AWARD),
        ({"notice-type": "can-modif"}, NoticeKind.AWARD),
        ({"notice-type": "corr"}, NoticeKind.OTHER),
        ({"form-type": "competition"}, NoticeKind.TENDER),
        ({"form-type": ["result"]}, NoticeKind.AWARD),
        ({"form-type": "planning"}, NoticeKind.PIN),
        ({"notice-type": "", "form-type": "dir-awa-pre"}, NoticeKind.AWARD),
        ({}, NoticeKind.OTHER),
    ],
)
def test_kind_from_notice_type_then_form_type(fields: dict[str, Any], kind: NoticeKind) -> None:
    """The first real notice (no deadline, so `other` by itself) with the kind fields the live
    spider asks for, in each shape a code field may take in the search API's JSON."""
    real = {**payload()["notices"][0], **fields}
    notice = PARSER.parse(json.dumps({"notices": [real]}).encode(), "page.json").notices[0]
    assert notice.kind == kind
