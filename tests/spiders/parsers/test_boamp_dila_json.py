"""Old DILA BOAMP JSON API parser on the real notice data/samples/boamp/legacy_dila_api_json."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from veilleuse.core.models import ContractNature, NoticeKind, NoticeStatus
from veilleuse.spiders.parsers.boamp_dila_json import PARSER
from veilleuse.spiders.parsers.boamp_ods import PARSER as ODS
from veilleuse.spiders.parsers.boamp_xml import PARSER as XML

SAMPLES = Path(__file__).parents[3] / "data" / "samples" / "boamp"
FILE = SAMPLES / "legacy_dila_api_json" / "20-152081.json"
TITLE = (
    "Services de spectacles musicaux, de théâtre, de cirque et assimilés, d'animations culturelles, "
    "socio culturelles et de loisirs"
)


def _record() -> dict[str, Any]:
    return json.loads(FILE.read_bytes())


def test_real_notice_field_by_field() -> None:
    result = PARSER.parse(FILE.read_bytes(), FILE.name)
    assert result.problems == []
    (notice,) = result.notices
    assert (notice.uid, notice.native_id, notice.source) == (
        "boamp:20-152081",
        "20-152081",
        "boamp",
    )
    assert notice.kind == NoticeKind.TENDER
    assert notice.status == NoticeStatus.OPEN
    assert notice.title == TITLE  # OBJET_COMPLET (no TITRE_MARCHE)
    assert notice.description == TITLE
    assert notice.buyer.model_dump() == {
        "name": "Commune de Berre l'Etang",
        "siret": None,
        "city": "Berre-l'etang",
        "postcode": "13130",
        "department": "13",
    }
    assert notice.published == date(2020, 12, 14)  # 1607900400000 ms = midnight in Paris
    # receptoffres 1614596400000 ms = 2021-03-01 11:00 UTC = noon in Paris
    assert notice.deadline == datetime(2021, 3, 1, 11, tzinfo=UTC)
    assert notice.deadline.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]
    assert notice.cpv == []
    assert notice.contract_nature == ContractNature.SERVICES
    assert notice.procedure == "adapted"
    assert notice.places.departments == ["13"]
    assert notice.reserved is None and notice.social_clause is None
    assert notice.evidence.reserved == [] and notice.evidence.social_clause == []
    assert notice.awardees == []
    assert notice.identifiers == ["20-152081"]
    assert notice.language == "fr"
    (lot,) = notice.lots  # a MAPA call without LOTS is one lot
    assert (lot.id, lot.title, lot.deadline) == ("1", TITLE, notice.deadline)
    assert notice.raw == _record()


def test_sniff() -> None:
    assert PARSER.sniff(FILE.read_bytes(), FILE.name)
    assert not XML.sniff(FILE.read_bytes(), FILE.name)
    assert not ODS.sniff(FILE.read_bytes(), FILE.name)
    ods = SAMPLES / "ods_v21" / "boamp_records_constructed.json"
    assert not PARSER.sniff(ods.read_bytes(), ods.name)
    assert not PARSER.sniff((SAMPLES / "xml_v230" / "test-pub.xml").read_bytes(), "test-pub.xml")
    assert not PARSER.sniff(b'{"notices": [], "totalNoticeCount": 0}', "ted.json")


def test_truncated_json_is_one_problem() -> None:
    result = PARSER.parse(FILE.read_bytes()[:500], "cut.json")
    assert result.notices == []
    (problem,) = result.problems
    assert problem.origin == "cut.json" and problem.reason.startswith("invalid JSON")


def test_cp1252_payload_is_read() -> None:
    data = json.dumps(_record(), ensure_ascii=False).encode("cp1252")
    (notice,) = PARSER.parse(data, "cp1252.json").notices
    assert notice.title == TITLE


def test_undecodable_bytes_are_a_problem() -> None:
    (problem,) = PARSER.parse(b'{"gestion": "\x81\x8d"}', "bad.json").problems
    assert "undecodable" in problem.reason


def test_list_with_a_bad_record() -> None:
    broken = _record()
    broken["gestion"]["reference"]["idweb"] = "20-000001"
    broken["donnees"]["objet"][0]["objetcomplet"] = None
    broken["gestion"]["indexation"]["resumeobjet"] = "  "
    data = json.dumps([_record(), broken, {"foo": 1}]).encode()
    result = PARSER.parse(data, "list.json")
    assert [n.native_id for n in result.notices] == ["20-152081"]
    assert [(p.origin, p.record) for p in result.problems] == [
        ("list.json", "20-000001"),
        ("list.json", "#3"),
    ]
    assert "title" in result.problems[0].reason
    assert "gestion" in result.problems[1].reason


def test_entities_spaces_and_reserved_flag() -> None:
    record = _record()
    record["donnees"]["identite"]["denomination"] = "  Commune de Berre l&#39;Etang  "
    record["donnees"]["conditionparticipation"]["marchereserveoui"] = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<MARCHE_RESERVE_OUI xmlns:xsi="x"/>'
    )
    record["gestion"]["reference"]["typeavis"]["statut"] = {
        "initial": None,
        "rectificatif": '<?xml version="1.0"?><RECTIFICATIF/>',
    }
    (notice,) = PARSER.parse(json.dumps(record).encode(), "x.json").notices
    assert notice.buyer.name == "Commune de Berre l'Etang"
    assert notice.reserved is True and notice.evidence.reserved == ["MARCHE_RESERVE_OUI"]
    assert notice.status == NoticeStatus.CORRECTED
