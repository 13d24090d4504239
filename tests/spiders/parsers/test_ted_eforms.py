"""eForms parser: exact fields on the ten official SDK example notices, sniffing, malformed input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
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
from veilleuse.spiders.parsers import ted_eforms
from veilleuse.spiders.parsers.ted_eforms import PARSER
from veilleuse.spiders.parsers.ted_eforms_fields import publication_number

SAMPLES = Path(__file__).parents[3] / "data" / "samples"
EFORMS = SAMPLES / "ted_eforms"
CET = timezone(timedelta(hours=1))


def read(name: str) -> bytes:
    return (EFORMS / name).read_bytes()


def parse_one(name: str) -> Notice:
    result = PARSER.parse(read(name), name)
    assert result.problems == []
    assert len(result.notices) == 1
    return result.notices[0]


def test_cn_24_fra_comments() -> None:
    n = parse_one("cn_24_FRA_comments.xml")
    assert n.uid == "ted:da4d46e9-490b-41ff-a2ae-8166d356a619"
    assert n.source == "ted"
    assert n.kind == NoticeKind.TENDER
    assert n.title == "Service d'entretien de remise en état et de nettoyage des espaces verts"
    assert (
        n.description == "Service d'entretien de remise en état et de nettoyage des espaces verts."
    )
    assert n.language == "fr"
    assert n.buyer.name == "Rouen Habitat"
    assert n.buyer.siret is None  # "123 456 789" is not a 14-digit SIRET
    assert (n.buyer.city, n.buyer.postcode, n.buyer.department) == ("Rouen Cedex 1", "76001", "76")
    assert n.published == date(2019, 5, 10)
    assert n.deadline == datetime(2019, 6, 24, 16, 0, tzinfo=UTC)
    assert n.cpv == ["77310000"]
    assert n.contract_nature == ContractNature.SERVICES
    assert n.procedure == "open"
    assert n.places.departments == ["76"] and n.places.nuts == ["FRD22"]
    assert n.estimated_value is None
    assert [lot.id for lot in n.lots] == ["LOT-0001", "LOT-0002"]
    assert [lot.title for lot in n.lots] == ["Agence centre", "Agence Hauts de Rouen"]
    assert all(lot.deadline == datetime(2019, 6, 24, 16, 0, tzinfo=UTC) for lot in n.lots)
    assert n.reserved is False and n.reserved_kinds == []
    assert n.social_clause is None
    assert n.evidence.reserved == [] and n.evidence.social_clause == []
    assert n.awardees == []
    assert n.identifiers == [
        "da4d46e9-490b-41ff-a2ae-8166d356a619",
        "e3cdabf1-e057-47a5-9210-b1f6fc757228",
    ]
    assert n.url is None  # no TED publication number in an unpublished notice
    assert n.status == NoticeStatus.OPEN
    assert "<!--BT-701 Notice Identifier-->" in n.raw  # the notice as published
    assert n.content_hash


def test_cn_23_concession_petite_enfance() -> None:
    n = parse_one("cn_23.xml")
    assert n.kind == NoticeKind.TENDER
    assert n.title == (
        "Concession de service public pour la gestion des équipements d'accueil collectif de la "
        "petite enfance — secteur nord-est Loches et Tauxigny-Saint-Bauld"
    )
    assert n.buyer.name == "Communauté de communes Loches sud Touraine"
    assert n.buyer.siret == "20007158700014"
    assert (n.buyer.city, n.buyer.postcode, n.buyer.department) == ("Loches", "37600", "37")
    assert n.deadline is None  # the example has no deadline element
    assert n.cpv == ["85312110"]
    assert [lot.id for lot in n.lots] == ["LOT-0000"]
    assert n.reserved is False
    assert n.places.departments == ["37"] and n.places.nuts == ["FRB04"]
    assert n.procedure is None
    assert n.published == date(2020, 4, 14)


def test_cn_desg_uses_request_to_participate_deadline() -> None:
    n = parse_one("cn-desg_24.xml")
    assert n.title == (
        "Concours restreint de maîtrise d'œuvre en vue de la construction d'un accueil "
        "périscolaire à Burnhaupt-le-Bas"
    )
    assert n.buyer.name == "Communauté de Communes de la Vallée de la Doller et du Soultzbach"
    assert n.buyer.siret == "24680067600016"
    assert n.buyer.department == "68"
    assert n.deadline == datetime(2020, 6, 5, 12, 0, tzinfo=CET)
    assert n.deadline.isoformat() == "2020-06-05T12:00:00+01:00"  # type: ignore[union-attr]
    assert n.procedure == "restricted"
    assert n.cpv == ["71000000"]
    assert len(n.lots) == 1 and n.reserved is None


def test_can_24_minimal_award_with_winner() -> None:
    n = parse_one("can_24_minimal.xml")
    assert n.kind == NoticeKind.AWARD
    assert n.uid == "ted:65667997-031a-4198-bd25-7225449ef479"
    assert n.buyer.name == "Rouen Habitat"
    assert n.buyer.postcode == "ABC123"
    assert n.buyer.department == "76"  # from the NUTS code FRD22, the postcode being a dummy
    assert n.published == date(2019, 10, 23)
    assert n.awardees == [Awardee(name="Espaces Verts Lemire", siret=None)]
    assert [lot.id for lot in n.lots] == ["LOT-0000"]
    assert n.deadline is None and n.reserved is None


def test_e4_minimal_voluntary_award() -> None:
    n = parse_one("E4_minimal.xml")
    assert n.kind == NoticeKind.AWARD
    assert n.buyer.name == "Rouen Habitat" and n.buyer.department is None  # no address
    assert n.places.departments == ["76"]
    assert n.awardees == [Awardee(name="Société Espaces Verts")]
    assert n.published == date(2025, 10, 23)
    assert n.cpv == ["77310000"] and len(n.lots) == 1


def test_pin_only_defence() -> None:
    n = parse_one("pin-only_81_FRA.xml")
    assert n.kind == NoticeKind.PIN
    assert n.title.startswith("Demande d'informations nº DI 123/DSSFT ayant pour objet")
    assert n.buyer.name == "Marine/DCSSF/DSSF Toulon"
    assert n.buyer.department == "83"  # postcode 83800 wins over the buyer's NUTS FRL04
    assert n.contract_nature == ContractNature.SUPPLIES
    assert n.cpv == ["35520000"]
    assert [lot.id for lot in n.lots] == ["PAR-0000"]
    assert n.places.departments == []  # "anywhere in the country"
    assert n.deadline is None and n.reserved is None
    assert n.published == date(2020, 12, 7)
    assert n.identifiers == ["3f60af90-c612-40bd-9943-866fe3ae21b4"]


def test_cn_24_maximal_reserved_public_service_and_social_objective() -> None:
    n = parse_one("cn_24_maximal.xml")
    assert n.language == "en"
    assert n.title == "Procurement Title ---"
    assert n.buyer.name == "Financial Adinistration for ..."
    assert n.buyer.department is None  # Luxembourg
    assert [lot.id for lot in n.lots] == ["LOT-0001", "LOT-0002"]  # GLO-0001 is a lot group
    assert n.cpv == ["79710000", "79720000", "75121000"]
    assert n.estimated_value == Money(amount=9999999.99, currency="EUR")
    assert n.lots[0].estimated_value == Money(amount=9999999.99, currency="EUR")
    assert n.deadline is not None and n.deadline.isoformat() == "2023-05-22T20:59:32+01:00"
    assert n.procedure == "neg-w-call"
    assert n.reserved is True
    assert n.reserved_kinds == [
        ReservedKind.PUBLIC_SERVICE_MISSION,
        ReservedKind.SHELTERED_WORKSHOP,
    ]
    assert n.lots[0].reserved_kinds == [
        ReservedKind.PUBLIC_SERVICE_MISSION,
        ReservedKind.SHELTERED_WORKSHOP,
    ]
    assert n.lots[1].reserved_kinds == [ReservedKind.SHELTERED_WORKSHOP]  # BT-71 none, BT-736 yes
    assert n.evidence.reserved == [
        "BT-71 res-pub-ser (LOT-0001)",
        "BT-736 reserved-execution yes (LOT-0001)",
        "BT-736 reserved-execution yes (LOT-0002)",
    ]
    assert n.social_clause is True
    assert n.evidence.social_clause == ["BT-775 acc-all (LOT-0001)", "BT-775 acc-all (LOT-0002)"]
    assert n.places.nuts == ["LU000"] and n.places.departments == []
    assert (
        n.lots[0].description == "Description ---\nConditions d'exécution : Terms Performance ---"
    )


def test_cn_24_open_english_notice() -> None:
    n = parse_one("cn_24_open.xml")
    assert n.title == (
        "Term Contract for a Planned Programme of In-service Inspection and Testing of "
        "Electrical Equipment"
    )
    assert n.buyer.name == "Renfrewshire Council"
    assert (n.buyer.city, n.buyer.postcode, n.buyer.department) == ("Paisley", "PA1 1JB", None)
    assert n.deadline == datetime(2020, 4, 3, 12, 0, tzinfo=CET)
    assert n.cpv == ["71630000", "71314100", "50300000", "31600000"]
    assert n.estimated_value == Money(amount=500000, currency="EUR")
    assert n.reserved is False and n.social_clause is None
    assert n.published == date(2020, 2, 28)
    assert [lot.id for lot in n.lots] == ["LOT-0000"]


def test_pin_cfc_social_reserved_to_sheltered_workshops() -> None:
    n = parse_one("pin-cfc-social_24.xml")
    assert n.kind == NoticeKind.PIN
    assert n.title == "Procurement title vol3"
    assert n.buyer.name == "ZenithNova Innovations Ltd."
    assert n.buyer.postcode == "90210" and n.buyer.department is None  # a Greek address
    assert n.reserved is True
    assert n.reserved_kinds == [ReservedKind.SHELTERED_WORKSHOP]
    assert n.evidence.reserved == ["BT-71 res-ws (LOT-0001)"]
    # expressions of interest (BT-630) are the deadline of a PIN used as call for competition
    assert n.deadline == datetime(2023, 5, 31, 15, 0, tzinfo=timezone(timedelta(hours=3)))
    assert n.cpv == ["85000000"]
    assert n.procedure == "oth-mult"


def test_cn_social_reserved_execution_and_social_objectives() -> None:
    n = parse_one("cn-social_25.xml")
    assert n.kind == NoticeKind.TENDER
    assert n.title == "At the End of the Tunnel vol3"
    assert n.buyer.name == "ZenithNova Innovations"  # trailing space removed
    assert n.reserved is True
    assert n.reserved_kinds == [ReservedKind.SHELTERED_WORKSHOP]
    assert n.evidence.reserved == ["BT-736 reserved-execution yes (LOT-0001)"]
    assert n.social_clause is True
    assert n.evidence.social_clause == ["BT-775 opp (LOT-0001)", "BT-775 acc-all (LOT-0001)"]
    assert n.estimated_value == Money(amount=1231, currency="BWP")
    assert n.deadline is not None and n.deadline.isoformat() == "2023-08-11T15:00:00+03:00"
    assert n.contract_nature == ContractNature.SUPPLIES
    assert n.published == date(2023, 5, 26)


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("path", sorted(EFORMS.glob("*.xml")), ids=lambda p: p.name)
def test_sniff_recognises_every_eforms_sample(path: Path) -> None:
    assert PARSER.sniff(path.read_bytes(), path.name)


@pytest.mark.parametrize(
    "path",
    [
        *sorted((SAMPLES / "ted_legacy_xml").glob("*.xml")),
        SAMPLES / "ted_api_v3" / "ted_search_v3_subset.json",
        EFORMS / "codelists" / "reserved-procurement.gc",
    ],
    ids=lambda p: p.name,
)
def test_sniff_rejects_other_ted_formats(path: Path) -> None:
    assert not PARSER.sniff(path.read_bytes(), path.name)


def test_sniff_rejects_boamp_like_xml() -> None:
    assert not PARSER.sniff(b'<?xml version="1.0"?><BOAMP><GESTION/></BOAMP>', "x.xml")


# --------------------------------------------------------------------------- publication data

_PUBLICATION = (
    '<efac:Publication><efbc:NoticePublicationID schemeName="ojs-notice-id">00123456-2019'
    '</efbc:NoticePublicationID><efbc:GazetteID schemeName="ojs-id">95/2019</efbc:GazetteID>'
    "<efbc:PublicationDate>2019-05-15+01:00</efbc:PublicationDate></efac:Publication>"
)


def with_extension(xml: bytes, fragment: str) -> bytes:
    return xml.replace(b"<efac:NoticeSubType>", fragment.encode() + b"<efac:NoticeSubType>", 1)


def test_publication_number_becomes_the_uid_shared_with_other_ted_formats() -> None:
    data = with_extension(read("cn_24_FRA_comments.xml"), _PUBLICATION)
    n = PARSER.parse(data, "published.xml").notices[0]
    assert n.uid == "ted:123456-2019"
    assert n.native_id == "123456-2019"
    assert n.published == date(2019, 5, 15)
    assert n.url == "https://ted.europa.eu/en/notice/-/detail/123456-2019"
    assert n.identifiers[:2] == ["123456-2019", "da4d46e9-490b-41ff-a2ae-8166d356a619"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("00123456-2023", "123456-2023"), ("091489-2019", "91489-2019"), ("475939-2026", "475939-2026"),
     ("2019/S 040-091489", None), ("", None), (None, None)],
)  # fmt: skip
def test_publication_number_normalisation(value: str | None, expected: str | None) -> None:
    assert publication_number(value) == expected


def test_change_notice_is_corrected_or_cancelled() -> None:
    changes = (
        '<efac:Changes><efac:ChangeReason><cbc:ReasonCode listName="change-corrig-justification">'
        "{}</cbc:ReasonCode></efac:ChangeReason></efac:Changes>"
    )
    base = read("cn_24_FRA_comments.xml")
    corrected = PARSER.parse(with_extension(base, changes.format("cor-buy")), "c.xml").notices[0]
    cancelled = PARSER.parse(with_extension(base, changes.format("cancel")), "c.xml").notices[0]
    assert corrected.status == NoticeStatus.CORRECTED
    assert cancelled.status == NoticeStatus.CANCELLED


def test_source_override_changes_the_uid_prefix() -> None:
    n = PARSER.parse(read("cn_23.xml"), "cn_23.xml", source="ted-mirror").notices[0]
    assert n.uid == "ted-mirror:4039abd1-af19-42cf-bce0-7c55806601e8"


# --------------------------------------------------------------------------- malformed input


def test_truncated_xml_is_one_problem_naming_the_file() -> None:
    data = read("cn_23.xml")
    result = PARSER.parse(data[: len(data) // 2], "cn_23-truncated.xml")
    assert result.notices == []
    assert len(result.problems) == 1
    assert result.problems[0].origin == "cn_23-truncated.xml"
    assert result.problems[0].reason.startswith("invalid XML")


def test_broken_tag_is_reported() -> None:
    data = read("cn_23.xml").replace(b"</cbc:CityName>", b"</cbc:CityNam>", 1)
    result = PARSER.parse(data, "broken.xml")
    assert result.notices == [] and "invalid XML" in result.problems[0].reason


def test_wrong_encoding_is_reported() -> None:
    text = read("cn_23.xml").decode("utf-8")
    result = PARSER.parse(text.encode("cp1252", errors="replace"), "cp1252.xml")
    assert result.notices == []
    assert len(result.problems) == 1 and result.problems[0].origin == "cp1252.xml"


def test_html_entities_and_stray_spaces_are_cleaned() -> None:
    data = read("cn_23.xml").replace(
        b"Communaut\xc3\xa9 de communes Loches sud Touraine</cbc:Name>",
        b"  Communaut\xc3\xa9 de communes &amp;amp; Loches   sud Touraine  </cbc:Name>",
    )
    n = PARSER.parse(data, "entities.xml").notices[0]
    assert n.buyer.name == "Communauté de communes & Loches sud Touraine"


def test_missing_title_is_a_problem_naming_the_record() -> None:
    data = read("pin-only_81_FRA.xml")
    start = data.index(b'<cbc:Name languageID="FRA">Demande')
    while b'<cbc:Name languageID="FRA">Demande' in data:
        start = data.index(b'<cbc:Name languageID="FRA">Demande')
        end = data.index(b"</cbc:Name>", start) + len(b"</cbc:Name>")
        data = data[:start] + data[end:]
    result = PARSER.parse(data, "no-title.xml")
    assert result.notices == []
    assert result.problems[0].record == "3f60af90-c612-40bd-9943-866fe3ae21b4"
    assert "title" in result.problems[0].reason


def test_missing_notice_id_is_a_problem() -> None:
    data = read("cn_23.xml").replace(
        b'<cbc:ID schemeName="notice-id">4039abd1-af19-42cf-bce0-7c55806601e8</cbc:ID>', b""
    )
    result = PARSER.parse(data, "no-id.xml")
    assert result.notices == [] and "identifier" in result.problems[0].reason


def test_other_xml_root_is_a_problem_not_an_exception() -> None:
    result = PARSER.parse(b"<Foo/>", "foo.xml")
    assert result.notices == [] and "not an eForms notice" in result.problems[0].reason


def test_build_notice_is_usable_on_an_element() -> None:
    from lxml import etree

    root = etree.fromstring(read("cn_23.xml"))
    n = ted_eforms.build_notice(root, "ted")
    assert n.native_id == "4039abd1-af19-42cf-bce0-7c55806601e8" and n.raw.startswith(
        "<ContractNotice"
    )
