"""Région Île-de-France guide des aides: exact fields on the recorded API list, malformed input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from veilleuse.core.models import NoticeStatus
from veilleuse.spiders.parsers.idf_aides import PARSER

FILE = Path(__file__).parents[3] / "data" / "samples" / "funding_feeds" / "ile_de_france_aides.json"
IDF = ["75", "77", "78", "91", "92", "93", "94", "95"]


def test_sniff() -> None:
    assert PARSER.sniff(FILE.read_bytes(), FILE.name)
    assert not PARSER.sniff(b'[{"post_title": "x", "permalink": "y"}]', "we.json")
    assert not PARSER.sniff(b'[{"titre": "x", "url_source": "y"}]', "cfp.json")


def test_recorded_list_exact_fields() -> None:
    result = PARSER.parse(FILE.read_bytes(), FILE.name)
    assert result.problems == []
    radios, youth = result.notices
    assert radios.uid == "idf-aides:Sy2cc9WqE"
    assert radios.title == "Soutien régional aux radios locales d’Île-de-France"
    assert radios.url == "https://www.iledefrance.fr/aides-appels-a-projets/Sy2cc9WqE"
    assert radios.identifiers == [
        "https://www.iledefrance.fr/aides-appels-a-projets/Sy2cc9WqE",
        "/guide-des-aides/api/tenants/cridfprd/aides/Sy2cc9WqE",
        "00000003",
    ]
    assert radios.buyer.name == "Région Île-de-France"
    assert radios.published is not None and radios.published.isoformat() == "2019-03-20"
    assert radios.deadline is None  # no campaign dates: permanent aid
    assert radios.places.departments == IDF
    assert radios.audiences == ["associations"]
    assert radios.aid_types == ["grant"]  # "La subvention régionale est fixée à 50 %…"
    assert radios.status is NoticeStatus.OPEN
    assert radios.description is not None
    assert radios.description.startswith("Le soutien aux radios locales procède")
    assert "<br>" not in radios.description

    assert youth.uid == "idf-aides:Skxo55-5N"
    assert youth.deadline == datetime(2019, 7, 7, 22, 0, tzinfo=UTC)
    assert youth.title == (
        "Soutien régional en investissement pour la protection des jeunes en situation de précarité"
    )


def test_unpublished_status_missing_reference_and_truncation() -> None:
    payload = json.loads(FILE.read_bytes())
    payload[0]["statut"] = "ARCHIVEE"
    payload[1]["reference"] = None
    result = PARSER.parse(json.dumps(payload).encode(), "idf.json")
    assert [n.status for n in result.notices] == [NoticeStatus.CLOSED]
    assert [(p.origin, p.record, p.reason) for p in result.problems] == [
        ("idf.json", "#1", "missing identifier")
    ]
    cut = PARSER.parse(FILE.read_bytes()[:2000], "idf.json")
    assert cut.notices == [] and cut.problems[0].reason.startswith("invalid JSON")
