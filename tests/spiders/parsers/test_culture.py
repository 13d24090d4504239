"""Ministère de la Culture aids: entities, stray spaces, French deadline text, malformed input."""

from __future__ import annotations

import json
from pathlib import Path

from veilleuse.spiders.parsers.culture import PARSER

FEEDS = Path(__file__).parents[3] / "data" / "samples" / "funding_feeds"
FILE = FEEDS / "ministere_culture_aides.json"


def test_sniff() -> None:
    assert PARSER.sniff(FILE.read_bytes(), FILE.name)
    assert not PARSER.sniff(b'[{"reference": "x", "publicsBeneficiaire": []}]', "idf.json")


def test_recorded_list_exact_fields() -> None:
    result = PARSER.parse(FILE.read_bytes(), FILE.name)
    assert result.problems == []
    charter, culture_pro = result.notices

    assert charter.uid == "culture:303980"
    assert charter.title == "Déclaration 1 immeuble, 1 œuvre"
    # stray spaces in the recorded URL and dates
    assert charter.url == (
        "https://www.culture.gouv.fr/Demarches-en-ligne/Par-type-de-demarche/"
        "Declaration-renouvellement/Declaration-1-immeuble-1-aeuvre"
    )
    assert (
        charter.identifiers[1]
        == "https://mesdemarches.culture.gouv.fr/mcc/requests/monuments-sites_1i1o/"
    )
    assert charter.published is not None and charter.published.isoformat() == "2022-07-28"
    assert charter.deadline is None
    assert charter.estimated_value is None
    assert charter.buyer.name == "Ministère de la Culture"
    assert charter.audiences == ["companies"]
    assert charter.places.departments == []  # "- France entière -"
    assert charter.description == (
        "La charte 1 immeuble, 1 œuvre favorise la commande d’œuvres d'art par les entreprises "
        "de l'immobilier. Elle vise à soutenir la culture pour tous et la création dans le champ "
        "des arts visuels."
    )

    assert culture_pro.uid == "culture:315790"
    assert culture_pro.title == "CulturePro"
    assert culture_pro.deadline is not None and culture_pro.deadline.isoformat() == "2022-04-15"
    assert culture_pro.estimated_value is not None
    assert culture_pro.estimated_value.amount == 2_200_000.0
    assert culture_pro.estimated_value.currency == "EUR"
    assert culture_pro.audiences == ["education"]
    assert culture_pro.description is not None
    assert culture_pro.description.startswith("Vous êtes une école d’art, d’architecture")
    assert "&eacute;" not in culture_pro.description and "&nbsp;" not in culture_pro.description


def test_free_text_deadline_region_and_missing_title() -> None:
    payload = json.loads(FILE.read_bytes())
    payload[0]["deadline"] = "Toute l'année"
    payload[0]["eztag_region"] = ["Hauts-de-France"]
    payload[1]["title"] = None
    result = PARSER.parse(json.dumps(payload).encode(), "culture.json")
    [notice] = result.notices
    assert notice.deadline is None
    assert notice.places.departments == ["02", "59", "60", "62", "80"]
    assert [(p.origin, p.record, p.reason) for p in result.problems] == [
        ("culture.json", "315790", "missing title")
    ]


def test_broken_tag_like_json() -> None:
    broken = FILE.read_bytes().replace(b'"title":', b'"title" ', 1)
    result = PARSER.parse(broken, "culture.json")
    assert result.notices == []
    assert result.problems[0].origin == "culture.json"
    assert result.problems[0].reason.startswith("invalid JSON: Expecting ':' delimiter")
