"""Département de la Manche guide des aides: entities decoded, département 50, malformed input."""

from __future__ import annotations

import json
from pathlib import Path

from veilleuse.spiders.parsers.manche import PARSER

FEEDS = Path(__file__).parents[3] / "data" / "samples" / "funding_feeds"
FILE = FEEDS / "departement_manche_aides.json"


def test_sniff() -> None:
    assert PARSER.sniff(FILE.read_bytes(), FILE.name)
    assert not PARSER.sniff(b'{"count": 1, "next": null, "results": []}', "at.json")
    assert not PARSER.sniff(b'{"ListeDispositifs": []}', "agir.json")


def test_recorded_feed_exact_fields() -> None:
    result = PARSER.parse(FILE.read_bytes(), FILE.name)
    assert result.problems == []
    assert [n.native_id for n in result.notices] == [
        "36021", "36027", "30802", "30801", "30798", "30788", "30791",
    ]  # fmt: skip
    centre = result.notices[0]
    assert centre.uid == "manche:36021"
    # &rsquo; left encoded by the publisher is decoded
    assert centre.title == (
        "Appel à projets pour une mise en place d’un centre parental d’une capacité de 20 places"
    )
    assert centre.buyer.name == "Département de la Manche"
    assert centre.buyer.department == "50"
    assert centre.places.departments == ["50"]
    assert centre.audiences == ["associations"]
    assert centre.aid_types == []
    assert centre.description is None  # "" in the feed
    assert centre.deadline is None
    assert centre.published is not None and centre.published.isoformat() == "2023-08-25"
    assert centre.url == (
        "https://test.manche.fr/guide-des-aides/"
        "appel-a-projets-pour-une-mise-en-place-dun-centre-parental-dune-capacite-de-20-places/"
    )

    d_day = result.notices[1]
    assert d_day.title == "Appel à projets 80ème anniversaire du Débarquement en Normandie"
    assert d_day.audiences == [
        "local_authorities", "associations", "individuals", "companies", "public_bodies",
    ]  # fmt: skip

    # stray spaces inside the timestamp: only the day is used
    test_2023 = result.notices[5]
    assert test_2023.raw["date_created"] == "2023-08-03T16: 08: 40.000Z"
    assert test_2023.published is not None and test_2023.published.isoformat() == "2023-08-03"
    assert test_2023.aid_types == ["other"]  # programme name, not an aid type
    assert test_2023.identifiers == [test_2023.url, "https://www.manche.fr"]

    jbe = result.notices[6]
    assert jbe.aid_types == ["other"]
    assert jbe.description is not None and jbe.description.startswith(
        "test, test2, test3, Lorem ipsum"
    )


def test_missing_name_and_bad_deadline_are_problems() -> None:
    payload = json.loads(FILE.read_bytes())
    del payload["aides"][0]["name"]
    payload["aides"][1]["submission_deadline"] = "2023-02-30"
    result = PARSER.parse(json.dumps(payload).encode(), "manche.json")
    assert len(result.notices) == 5
    assert [(p.origin, p.record) for p in result.problems] == [
        ("manche.json", "36021"),
        ("manche.json", "36027"),
    ]
    assert result.problems[0].reason == "missing title"


def test_broken_payloads() -> None:
    assert (
        PARSER.parse(FILE.read_bytes()[:-40], "m.json")
        .problems[0]
        .reason.startswith("invalid JSON")
    )
    assert PARSER.parse(b"[]", "m.json").problems[0].reason == (
        "unexpected JSON shape: expected an object with an 'aides' list"
    )
