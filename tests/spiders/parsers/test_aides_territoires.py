"""Aides-territoires aid pages: exact fields on the recorded Drôme page, and malformed payloads."""

from __future__ import annotations

import json
from pathlib import Path

from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.spiders.parsers.aides_territoires import PARSER

SAMPLE = Path(__file__).parents[3] / "data" / "samples" / "aides_territoires"
FILE = SAMPLE / "departement_drome_aids_api.json"


def _data() -> bytes:
    return FILE.read_bytes()


def test_sniff_claims_only_aid_pages() -> None:
    assert PARSER.sniff(_data(), FILE.name)
    assert not PARSER.sniff(b'{"marches": []}', "decp.json")
    assert not PARSER.sniff(b'{"count": 1, "aides": []}', "manche.json")
    assert not PARSER.sniff(b"<rss version='2.0'/>", "feed.xml")


def test_recorded_page_exact_fields() -> None:
    result = PARSER.parse(_data(), FILE.name)
    assert result.problems == []
    assert [n.uid for n in result.notices] == ["aides-territoires:162", "aides-territoires:338"]
    first, second = result.notices

    assert first.kind is NoticeKind.FUNDING_CALL
    assert first.source == "aides-territoires" and first.native_id == "162"
    assert first.title == "Développement d’une alimentation de proximité"
    assert first.description is not None
    assert first.description.startswith("OPÉRATIONS CONCERNÉES Actions favorisant l’accès")
    assert "<" not in first.description and "&#8230;" not in first.description
    assert "animation du groupe de producteurs…" in first.description
    assert first.url == (
        "https://collectivites.ladrome.fr/service/developpement-dune-alimentation-de-proximite/"
    )
    assert first.buyer.name == "Chambre d’agriculture de la Drôme"
    assert first.audiences == ["local_authorities", "associations", "individuals"]
    assert first.aid_types == ["engineering"]
    assert first.places.departments == ["26"]
    assert first.deadline is None  # permanent aid: submission_deadline is null
    assert first.published is None
    assert first.lots == []
    assert first.language == "fr"
    assert first.status is NoticeStatus.OPEN
    assert first.reserved is None and first.social_clause is None
    assert first.identifiers == [first.url]
    assert first.raw["id"] == 162
    assert first.content_hash

    assert second.title == "L'alimentation dans la restauration collective publique"
    assert second.buyer.name == "Conseil Départemental de la Drôme"
    assert second.audiences == ["local_authorities", "public_bodies"]
    assert second.description is not None and "respectueux de l’environnement" in second.description


def _page(results: list[object]) -> bytes:
    return json.dumps(
        {"count": len(results), "next": None, "previous": None, "results": results}
    ).encode()


def test_national_shape_lists_and_deadline() -> None:
    aid = {
        "id": 9001,
        "name": "Fonds  &amp; appui aux  tiers-lieux ",
        "url": "/aides/fonds-tiers-lieux/",
        "origin_url": None,
        "application_url": "https://exemple.gouv.fr/depot",
        "financers": ["Agence nationale de la cohésion des territoires", "Région Normandie"],
        "targeted_audiences": ["Associations", "Entreprises privées", "Associations"],
        "aid_types": ["Subvention", "Prêt"],
        "perimeter": ["Manche", "Calvados"],
        "submission_deadline": "2026-03-31",
        "date_published": "2026-01-15",
    }
    [notice] = PARSER.parse(_page([aid]), "national.json").notices
    assert notice.title == "Fonds & appui aux tiers-lieux"
    assert notice.url == "https://exemple.gouv.fr/depot"
    assert notice.buyer.name == "Agence nationale de la cohésion des territoires"
    assert notice.audiences == ["associations", "companies"]
    assert notice.aid_types == ["grant", "loan"]
    assert notice.places.departments == ["50", "14"]
    assert notice.deadline is not None and notice.deadline.isoformat() == "2026-03-31"
    assert notice.published is not None and notice.published.isoformat() == "2026-01-15"


def test_financers_full_objects() -> None:
    aid = {"id": 1, "name": "Aide", "financers_full": [{"id": 3, "name": "ADEME", "logo": None}]}
    [notice] = PARSER.parse(_page([aid]), "p.json").notices
    assert notice.buyer.name == "ADEME"


def test_bad_record_is_a_problem_and_others_survive() -> None:
    payload = json.loads(_data())
    payload["results"].insert(1, {"id": 77, "name": "   "})
    payload["results"].insert(
        2, {"id": 78, "name": "Dates cassées", "submission_deadline": "bientôt"}
    )
    payload["results"].insert(3, "not an object")
    result = PARSER.parse(json.dumps(payload).encode(), "page.json")
    assert [n.native_id for n in result.notices] == ["162", "338"]
    assert [(p.origin, p.record) for p in result.problems] == [
        ("page.json", "77"),
        ("page.json", "78"),
        ("page.json", "#3"),
    ]
    assert result.problems[0].reason == "missing title"
    assert "bientôt" in result.problems[1].reason


def test_truncated_json_is_one_problem() -> None:
    result = PARSER.parse(_data()[:3000], "cut.json")
    assert result.notices == []
    assert len(result.problems) == 1
    assert result.problems[0].origin == "cut.json"
    assert result.problems[0].reason.startswith("invalid JSON")


def test_wrong_shape_and_cp1252_payload() -> None:
    result = PARSER.parse(b'{"count": 0, "results": {}}', "odd.json")
    assert (
        result.problems[0].reason
        == "unexpected JSON shape: expected an object with a 'results' list"
    )
    text = _data().decode("utf-8").replace("’", "'").replace("…", "...").replace("œ", "oe")
    result = PARSER.parse(text.encode("cp1252"), "latin.json")
    assert result.problems == []
    assert result.notices[0].title == "Développement d'une alimentation de proximité"
