"""ADEME AGIR aids: exact fields on the recorded API answer, and malformed payloads."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from veilleuse.core.models import NoticeKind
from veilleuse.spiders.parsers.ademe_agir import PARSER

FEEDS = Path(__file__).parents[3] / "data" / "samples" / "funding_feeds"
FILE = FEEDS / "ademe_agir_dispositifs.json"
CET = timezone(timedelta(hours=1))


def test_sniff() -> None:
    assert PARSER.sniff(FILE.read_bytes(), FILE.name)
    assert not PARSER.sniff(b'{"count": 2, "results": []}', "at.json")
    assert not PARSER.sniff(b'[{"titre": "x", "url_source": "y"}]', "cfp.json")


def test_recorded_answer_exact_fields() -> None:
    result = PARSER.parse(FILE.read_bytes(), FILE.name)
    assert result.problems == []
    assert [n.uid for n in result.notices] == [
        "ademe-agir:1ed7d411",
        "ademe-agir:1ed7d40a",
        "ademe-agir:1ec8f1be",
    ]
    first, _, bcib = result.notices
    assert first.kind is NoticeKind.FUNDING_CALL
    assert (
        first.title
        == "Investissements d’écoconception pour améliorer la performance environnementale"
    )
    # the recorded URL has a stray space after 'https:'
    assert first.url == (
        "https://agirpourlatransition.ademe.fr/entreprises/aides-financieres/2023/"
        "investissements-decoconception-ameliorer-performance-environnementale"
    )
    assert first.buyer.name == "ADEME"
    assert first.published is not None and first.published.isoformat() == "2023-01-01"
    assert first.deadline == datetime(2023, 12, 31, 23, 59, 59, tzinfo=CET)
    assert first.deadline.utcoffset() == timedelta(hours=1)  # type: ignore[union-attr]
    assert first.audiences == ["companies"]
    assert first.aid_types == ["grant"]
    assert first.places.departments == []  # couverture_geo: National
    assert first.lots == []
    assert first.description is not None
    assert first.description.startswith("Les démarches d’amélioration de la performance")
    assert "<strong>" not in first.description and "&nbsp;" not in first.description

    assert bcib.title == "Biomasse Chaleur pour l’Industrie du Bois (BCIB)"
    assert bcib.published is not None and bcib.published.isoformat() == "2022-12-26"
    assert bcib.deadline == datetime(2023, 2, 27, 15, 0, tzinfo=CET)
    assert bcib.raw["type"] == "AAP"


def test_regions_give_places_and_bad_record_is_reported() -> None:
    payload = json.loads(FILE.read_bytes())
    payload["ListeDispositifs"][0]["regions"] = ["Bretagne"]
    payload["ListeDispositifs"][1]["date_fin"] = "31/13/2023"
    del payload["ListeDispositifs"][2]["id"]
    result = PARSER.parse(json.dumps(payload).encode(), "agir.json")
    assert [n.native_id for n in result.notices] == ["1ed7d411"]
    assert result.notices[0].places.departments == ["22", "29", "35", "56"]
    assert [(p.origin, p.record) for p in result.problems] == [
        ("agir.json", "1ed7d40a"),
        ("agir.json", "#2"),
    ]
    assert result.problems[1].reason == "missing identifier"


def test_truncated_and_wrong_shape() -> None:
    cut = PARSER.parse(FILE.read_bytes()[:500], "agir.json")
    assert cut.notices == [] and cut.problems[0].reason.startswith("invalid JSON")
    odd = PARSER.parse(b'{"ListeDispositifs": null}', "agir.json")
    assert odd.problems[0].origin == "agir.json"
    assert "ListeDispositifs" in odd.problems[0].reason
