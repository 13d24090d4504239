"""Calls for projects (Carenews, Île-de-France open data): one parser, two sources."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

from veilleuse.spiders.parsers.calls_for_projects import PARSER, native_id_of, source_of

SAMPLES = Path(__file__).parents[3] / "data" / "samples" / "calls_for_projects"
CARENEWS = SAMPLES / "carenews_aap_scraped.json"
IDF = SAMPLES / "iledefrance_aap_scraped.json"
IDF_DEPARTMENTS = ["75", "77", "78", "91", "92", "93", "94", "95"]


def test_sniff_both_files_only() -> None:
    assert PARSER.sniff(CARENEWS.read_bytes(), CARENEWS.name)
    assert PARSER.sniff(IDF.read_bytes(), IDF.name)
    assert not PARSER.sniff(b'[{"title": "x", "reference": "y"}]', "idf_aides.json")
    assert not PARSER.sniff(b'{"marches": []}', "decp.json")


def test_carenews_exact_fields() -> None:
    result = PARSER.parse(CARENEWS.read_bytes(), CARENEWS.name)
    assert result.problems == []
    assert len(result.notices) == 27
    assert {n.source for n in result.notices} == {"carenews"}
    assert len({n.uid for n in result.notices}) == 27

    first = result.notices[0]
    assert first.uid == "carenews:appels-a-projet/concours-2026-de-la-france-s-engage"
    assert first.title == "Concours 2026 de La France s'engage"
    assert (
        first.url == "https://www.carenews.com/appels-a-projet/concours-2026-de-la-france-s-engage"
    )
    assert first.buyer.name is None  # organisme null
    assert first.published == date(2025, 12, 24)
    assert first.deadline == date(2026, 1, 29)
    assert first.places.departments == [] and first.audiences == []
    assert first.description is not None
    assert "\r" not in first.description and "\n" not in first.description
    assert "solidaire. Les lauréats voient" in first.description

    precarity = result.notices[4]
    assert precarity.native_id == (
        "fondation-hospitaliere-pour-la-recherche-sur-la-precarite-et-l-exclusion-sociale/"
        "appels-a-projet-3"
    )
    assert precarity.buyer.name == (
        "Fondation Hospitalière pour la Recherche sur la Précarité et l'Exclusion sociale"
    )
    assert precarity.deadline == date(2026, 2, 9)


def test_idf_open_data_exact_fields() -> None:
    result = PARSER.parse(IDF.read_bytes(), IDF.name)
    assert result.problems == []
    assert len(result.notices) == 35
    assert {n.source for n in result.notices} == {"idf-aap"}
    assert Counter(n.deadline is None for n in result.notices) == Counter({False: 20, True: 15})

    trophies = result.notices[0]
    assert trophies.uid == "idf-aap:601"
    assert trophies.title == "Trophées franciliens de l'innovation numérique dans le supérieur"
    assert trophies.buyer.name == "Région Île-de-France"
    assert trophies.published == date(2023, 4, 11)
    assert trophies.deadline == date(2023, 9, 4)
    assert trophies.audiences == ["education"]
    assert trophies.places.departments == IDF_DEPARTMENTS

    women = result.notices[1]  # public_cible packs twelve audiences with '|||'
    assert women.uid == "idf-aap:24"
    assert women.published is None and women.deadline is None
    assert women.audiences == [
        "associations",
        "local_authorities",
        "social_landlords",
        "public_bodies",
    ]


def test_source_override_and_native_id_rules() -> None:
    result = PARSER.parse(IDF.read_bytes(), IDF.name, source="aap-ile-de-france")
    assert result.notices[0].uid == "aap-ile-de-france:601"
    no_url = {"titre": "Appel sans lien", "date_publication": "2026-01-02", "url_source": None}
    assert source_of(no_url) == "calls-for-projects"
    assert native_id_of(no_url, "calls-for-projects") == native_id_of(dict(no_url), "x")
    assert len(native_id_of(no_url, "calls-for-projects")) == 16


def test_malformed_records_and_payloads() -> None:
    records = json.loads(CARENEWS.read_bytes())[:3]
    records[1]["titre"] = "  "
    records[2]["date_limite"] = "29 janvier"
    result = PARSER.parse(json.dumps(records).encode(), "carenews.json")
    assert [n.native_id for n in result.notices] == [
        "appels-a-projet/concours-2026-de-la-france-s-engage"
    ]
    assert [(p.origin, p.record) for p in result.problems] == [
        (
            "carenews.json",
            "https://www.carenews.com/appels-a-projet/appel-a-projets-recherche-medicale-2026",
        ),
        (
            "carenews.json",
            "https://www.carenews.com/appels-a-projet/festival-du-livre-josephine-baker-edition-2026",
        ),
    ]
    cut = PARSER.parse(IDF.read_bytes()[:1000], "idf.json")
    assert cut.notices == [] and cut.problems[0].reason.startswith("invalid JSON")
    odd = PARSER.parse(b'{"titre": "x"}', "one.json")
    assert odd.problems[0].reason == "unexpected JSON shape: expected a list of calls"
