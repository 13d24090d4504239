"""RSS 2.0 / Atom feeds of calls for projects (constructed fixtures), bozo feeds, bad entries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from veilleuse.core.models import NoticeKind
from veilleuse.spiders.parsers.funding_common import stable_id
from veilleuse.spiders.parsers.rss import PARSER

SAMPLES = Path(__file__).parents[3] / "data" / "samples" / "rss"
RSS2 = SAMPLES / "appels_a_projets_rss2.xml"
ATOM = SAMPLES / "appels_a_projets_atom.xml"


def test_sniff() -> None:
    assert PARSER.sniff(RSS2.read_bytes(), RSS2.name)
    assert PARSER.sniff(ATOM.read_bytes(), ATOM.name)
    assert not PARSER.sniff(b'<?xml version="1.0"?><TED_EXPORT xmlns="x"/>', "ted.xml")
    assert not PARSER.sniff(b"<feed><entry/></feed>", "not-atom.xml")  # no Atom namespace
    assert not PARSER.sniff(b'{"count": 1, "results": []}', "at.json")


def test_rss2_exact_fields() -> None:
    result = PARSER.parse(RSS2.read_bytes(), RSS2.name)
    assert result.problems == []
    assert len(result.notices) == 4
    food, mobility, third_places, sport = result.notices

    assert food.uid == "rss:f9ed57561293fd79" == f"rss:{stable_id('fts-aap-2026-001')}"
    assert food.kind is NoticeKind.FUNDING_CALL
    assert food.title == "Appel à projets « Alimentation solidaire 2026 »"
    assert food.url == "https://appels.example.org/aap/alimentation-solidaire-2026"
    assert food.buyer.name == "Fonds Territoires Solidaires"
    assert food.language == "fr"
    assert food.published == date(2026, 1, 12)
    assert food.deadline == date(2026, 3, 15)
    assert food.description == (
        "Le Fonds soutient les associations qui développent l’aide alimentaire de proximité "
        "(épiceries solidaires, jardins partagés). Date limite de dépôt : 15 mars 2026. "
        "Subvention jusqu’à 20 000 €."
    )
    assert food.places.departments == ["59"]  # category "Nord"
    assert food.audiences == ["associations"]  # category "Associations"
    assert food.identifiers == [food.url]
    assert food.lots == []
    assert "published_parsed" not in food.raw

    # no guid: the id is a hash of the link
    assert mobility.native_id == stable_id("https://appels.example.org/aap/mobilite-inclusive")
    assert mobility.deadline == date(2026, 1, 31)
    assert mobility.published == date(2025, 12, 4)
    assert mobility.description is not None and mobility.description.startswith(
        "Structures d’insertion et SCIC"
    )

    assert third_places.title == "Tiers-lieux & culture en milieu rural"
    assert third_places.deadline == date(2026, 2, 12)
    assert third_places.published == date(2026, 2, 2)  # 00:30 +0100 is still 2 Feb where written
    assert third_places.places.departments == ["14", "27", "50", "61", "76"]  # "Normandie"

    assert sport.deadline is None


def test_atom_exact_fields_and_source_override() -> None:
    result = PARSER.parse(ATOM.read_bytes(), ATOM.name, source="fondation-horizons")
    assert result.problems == []
    prize, siae = result.notices
    assert prize.uid == "fondation-horizons:" + stable_id(
        "tag:fondation.example.org,2026:aap/prix-innovation-sociale"
    )
    assert prize.source == "fondation-horizons"
    assert prize.title == "Prix de l'innovation sociale 2026"
    assert prize.buyer.name == "Fondation Horizons Solidaires"
    assert prize.published == date(2026, 1, 5)
    assert prize.deadline == date(2026, 4, 1)
    assert prize.places.departments == ["75", "77", "78", "91", "92", "93", "94", "95"]
    assert prize.description == (
        "Trois lauréats recevront une dotation de 10 000 €. "
        "Clôture des candidatures le 1er avril 2026 à minuit."
    )
    assert siae.title == "Soutien aux SIAE de la Drôme"
    assert siae.published == date(2026, 1, 19)  # no <published>: <updated>
    assert siae.deadline == date(2026, 4, 30)
    assert siae.places.departments == ["26"]
    assert siae.description == (
        "Accompagnement des structures d’insertion par l’activité économique. Date limite : 30/04/2026."
    )


def test_truncated_feed_is_bozo_and_keeps_entries() -> None:
    data = RSS2.read_bytes()
    cut = data[: data.index(b"<item>", data.index(b"fts-aap-2026-003"))]
    result = PARSER.parse(cut, "https://appels.example.org/feed")
    assert [p.origin for p in result.problems] == ["https://appels.example.org/feed"]
    assert result.problems[0].reason.startswith("malformed feed: SAXParseException")
    assert [n.title for n in result.notices][:2] == [
        "Appel à projets « Alimentation solidaire 2026 »",
        "Mobilité inclusive : soutien aux garages solidaires",
    ]


def test_broken_tag_is_reported() -> None:
    broken = RSS2.read_bytes().replace(b"</guid>", b"</gui>", 1)
    result = PARSER.parse(broken, "feed.xml")
    assert result.problems and result.problems[0].reason.startswith("malformed feed")
    assert result.problems[0].origin == "feed.xml"


def test_not_a_feed() -> None:
    result = PARSER.parse(b"<html><body><p>Maintenance</p></body></html>", "page.html")
    assert result.notices == []
    assert [p.origin for p in result.problems] == ["page.html"]


def test_entry_without_title_or_link_is_a_problem() -> None:
    feed = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        b"<item><description>Rien ici</description></item>"
        b"<item><title>Appel &amp; soutien</title><link>https://a.example.org/x</link></item>"
        b"</channel></rss>"
    )
    result = PARSER.parse(feed, "f.xml")
    assert [n.title for n in result.notices] == ["Appel & soutien"]
    assert [(p.origin, p.record, p.reason) for p in result.problems] == [
        ("f.xml", "#0", "entry has no id, link or title")
    ]


def test_windows_1252_feed() -> None:
    text = RSS2.read_text(encoding="utf-8").replace('encoding="UTF-8"', 'encoding="windows-1252"')
    result = PARSER.parse(text.encode("cp1252"), "legacy.xml")
    assert result.problems == []
    assert result.notices[0].title == "Appel à projets « Alimentation solidaire 2026 »"
