"""Pure helpers shared by the funding parsers: dates and amounts in French text, audiences, places."""

from __future__ import annotations

from datetime import date

import pytest

from veilleuse.spiders.parsers.funding_common import (
    AID_TYPES,
    AUDIENCES,
    amount_from_text,
    clean_url,
    deadline_from_text,
    departments_from_places,
    load_json,
    normalise_aid_types,
    normalise_audience,
    normalise_audiences,
    parse_french_date,
    stable_id,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("date limite : 15 mars 2026", date(2026, 3, 15)),
        ("Date limite de dépôt des candidatures : 15/03/2026", date(2026, 3, 15)),
        ("DATE LIMITE DE DÉPÔT : 15 MARS 2026", date(2026, 3, 15)),
        ("Candidatures ouvertes jusqu'au 31/01/2026 sur la plateforme.", date(2026, 1, 31)),
        ("jusqu’au 1er avril 2026", date(2026, 4, 1)),
        ("jusqu&rsquo;au 2 mai 2026", date(2026, 5, 2)),
        ("Dossiers à envoyer <em>avant le 12 février 2026</em>", date(2026, 2, 12)),
        ("avant le 12 fevrier 2026", date(2026, 2, 12)),
        ("Candidatures avant le lundi 2 mars 2026.", date(2026, 3, 2)),
        ("au plus tard le 3 août 2026", date(2026, 8, 3)),
        ("au plus tard au 31 décembre 2023", date(2023, 12, 31)),
        ("Clôture des candidatures le 1er avril 2026 à minuit", date(2026, 4, 1)),
        ("clôture : 15/03/26", date(2026, 3, 15)),
        ("Date limite : 2026-05-04", date(2026, 5, 4)),
        ("date limite : 7.9.2026", date(2026, 9, 7)),
        ("date limite : 15 sept. 2026", date(2026, 9, 15)),
        ("Échéance : 30 juin 2026", date(2026, 6, 30)),
        # the first deadline phrase wins (two closings announced)
        (
            "Deux clôtures : la première le 27/02/2023 et la seconde le 20/09/2023.",
            date(2023, 2, 27),
        ),
        # an impossible date is skipped, the next anchored one is used
        ("avant le 31/02/2026, ou à défaut avant le 03/03/2026", date(2026, 3, 3)),
        # the anchor must be in the same sentence as the date
        ("Dépôt sur la plateforme jusqu'à épuisement. Publié le 15 mars 2026", None),
        ("publié le 15 mars 2026", None),  # a date without a deadline phrase
        ("jusqu'au 15 mars", None),  # no year: cannot be known
        ("Dispositif permanent, dossiers instruits au fil de l'eau.", None),
        ("", None),
        (None, None),
    ],
)
def test_deadline_from_text(text: str | None, expected: date | None) -> None:
    assert deadline_from_text(text) == expected


def test_parse_french_date() -> None:
    assert parse_french_date("15 avril 2022") == date(2022, 4, 15)
    assert parse_french_date("1er mars 2026") == date(2026, 3, 1)
    assert parse_french_date("le 5/6/2026") == date(2026, 6, 5)
    assert parse_french_date("Toute l'année") is None
    assert parse_french_date(None) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.200.000 € à répartir entre les bénéficiaires", 2_200_000.0),
        ("3 530 000 euros", 3_530_000.0),
        ("2 millions d'euros", 2_000_000.0),
        ("1,5 M€", 1_500_000.0),
        ("dotation de 10\u00a0000 €", 10_000.0),
        ("aucun montant", None),
        (None, None),
    ],
)
def test_amount_from_text(text: str | None, expected: float | None) -> None:
    assert amount_from_text(text) == expected


@pytest.mark.parametrize(
    ("label", "term"),
    [
        ("Associations", "associations"),
        ("Association - Régie par la loi de 1901", "associations"),
        ("Association &amp; ONG", "associations"),
        ("Communes", "local_authorities"),
        ("Intercommunalités / Pays", "local_authorities"),
        ("EPCI à fiscalité propre", "local_authorities"),
        ("Collectivité ou institution - Communes de < 2000 hab", "local_authorities"),
        ("Établissements publics (écoles, bibliothèques…) / Services de l'État", "public_bodies"),
        ("Collectivité ou institution - Autre (GIP, copropriété, EPA...)", "public_bodies"),
        ("Collectivité ou institution - Bailleurs sociaux", "social_landlords"),
        ("Entreprises privées", "companies"),
        ("Professionnel - PME < 250", "companies"),
        ("Particuliers", "individuals"),
        ("Particulier - Lycéen", "individuals"),
        ("Agriculteurs", "farmers"),
        ("Professionnel - Agriculture et alimentation", "farmers"),
        ("Professionnel - Chercheur", "researchers"),
        ("Établissement d'enseignement supérieur", "education"),
        ("Artistes plasticiens", "artistes-plasticiens"),  # unknown → slug
    ],
)
def test_normalise_audience(label: str, term: str) -> None:
    assert normalise_audience(label) == term


def test_normalise_audiences_splits_dedupes_and_reads_objects() -> None:
    packed = ["Association - Fondation|||Association - ONG|||Collectivité ou institution - EPCI"]
    assert normalise_audiences(packed, separator="|||") == ["associations", "local_authorities"]
    assert normalise_audiences([{"href": "/x", "title": "Associations"}]) == ["associations"]
    assert normalise_audiences(None) == []
    assert {"associations", "companies", "local_authorities", "public_bodies"} <= AUDIENCES


@pytest.mark.parametrize(
    ("label", "term"),
    [
        ("Subvention", "grant"),
        ("Prêt", "loan"),
        ("Avance récupérable", "loan"),
        ("Garantie", "guarantee"),
        ("Ingénierie technique", "engineering"),
        ("Ingénierie financière", "engineering"),
        ("Ingénierie juridique / administrative", "engineering"),
        ("Avantage fiscal", "tax_advantage"),
        ("Appel à proposition", "grant"),
        ("Autre aide financière", "other"),
        ("Contrat de territoire 2017-2021", "other"),
    ],
)
def test_normalise_aid_types(label: str, term: str) -> None:
    assert normalise_aid_types([label]) == [term]
    assert term in AID_TYPES


def test_departments_from_places() -> None:
    assert departments_from_places("Drôme") == ["26"]
    assert departments_from_places("Département de la Drôme") == ["26"]
    assert departments_from_places("Drôme (26)") == ["26"]
    assert departments_from_places(["Manche", "Nord"]) == ["50", "59"]
    assert departments_from_places("Île-de-France") == [
        "75",
        "77",
        "78",
        "91",
        "92",
        "93",
        "94",
        "95",
    ]
    assert departments_from_places("Corse") == ["2A", "2B"]
    assert departments_from_places("La Réunion") == ["974"]
    assert departments_from_places("Loire") == ["42"]
    assert departments_from_places("Pays de la Loire") == ["44", "49", "53", "72", "85"]
    assert departments_from_places({"code": "1", "libelle": "National"}) == []
    assert departments_from_places("- France entière -") == []
    assert departments_from_places(None) == []


def test_clean_url_and_stable_id() -> None:
    assert clean_url("https: //www.culture.gouv.fr/a b") == "https://www.culture.gouv.fr/ab"
    assert clean_url("mailto:x@y.fr") is None
    assert clean_url("") is None
    assert stable_id("a", None) == stable_id("a", None) != stable_id("a", "b")
    assert len(stable_id("x")) == 16


def test_load_json_reports_and_tolerates() -> None:
    loaded = load_json(b'{"a": NaN, "b": "\xe9t\xe9"}', "f.json")  # cp1252 bytes
    assert not loaded.failed and loaded.problems == []
    assert loaded.value == {"a": None, "b": "été"}
    loaded = load_json(b'{"a": [1, 2', "f.json")
    assert loaded.failed and loaded.value is None
    (problem,) = loaded.problems
    assert problem.origin == "f.json" and problem.reason.startswith("invalid JSON")
    loaded = load_json(b'{"a": "\x81\x8d"}', "f.json")  # invalid UTF-8 and undefined in cp1252
    assert loaded.failed and "neither UTF-8 nor cp1252" in loaded.problems[0].reason


def test_load_json_reads_numbers_out_of_range_as_empty() -> None:
    """Python refuses integers over 4300 digits (ValueError) and `1e999` overflows a date: such
    a value costs its field, with a Problem, not the file."""
    loaded = load_json(b'[{"a": ' + b"9" * 5000 + b', "b": 1e999, "c": 12, "d": 1.5}]', "f.json")
    assert not loaded.failed
    assert loaded.value == [{"a": None, "b": None, "c": 12, "d": 1.5}]
    (problem,) = loaded.problems
    assert problem.origin == "f.json"
    assert problem.reason == (
        "2 numbers out of range read as empty: 5000-digit integer, 1e999 (out of range)"
    )
