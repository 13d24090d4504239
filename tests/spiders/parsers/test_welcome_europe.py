"""Welcome Europe EU calls: exact fields on the recorded export, several deadlines, bad records."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from veilleuse.spiders.parsers.welcome_europe import PARSER

FEEDS = Path(__file__).parents[3] / "data" / "samples" / "funding_feeds"
FILE = FEEDS / "welcome_europe_calls.json"


def test_sniff() -> None:
    assert PARSER.sniff(FILE.read_bytes(), FILE.name)
    assert not PARSER.sniff(b'[{"id": 1, "eztag_region": []}]', "culture.json")


def test_recorded_call_exact_fields() -> None:
    result = PARSER.parse(FILE.read_bytes(), FILE.name)
    assert result.problems == []
    [call] = result.notices
    assert call.uid == "welcome-europe:42534"
    assert call.title == (
        "Programme thématique sur les droits de l'homme et la démocratie - "
        "Appel à propositions pour l'Ouganda - 2023"
    )
    assert call.url == (
        "https://www.welcomeurope.com/programme-thematique-sur-les-droits-de-lhomme-et-la-"
        "democratie-appel-a-propositions-pour-louganda-2023/"
    )
    assert call.buyer.name == "Commission européenne"
    assert call.published == date(2022, 10, 20)
    assert call.deadline == date(2023, 1, 12)
    assert call.estimated_value is not None and call.estimated_value.amount == 3_530_000.0
    # "Administration état &amp; entité affiliée;Association &amp; ONG;Collectivité Territoriale…"
    assert call.audiences == ["public_bodies", "associations", "local_authorities"]
    assert call.aid_types == ["grant"]
    assert call.identifiers == [call.url, "EuropeAid/175511/DD/ACT/UG"]
    assert call.places.departments == []
    assert call.lots == []
    assert call.description is not None
    assert call.description.startswith("Programme thématique sur les droits de l’homme")
    assert "Priorité 1 : renforcer le plaidoyer" in call.description


def test_earliest_of_several_deadlines_and_bad_records() -> None:
    payload = json.loads(FILE.read_bytes())
    record = payload[0]
    payload.append(
        dict(record, ID="42535", deadline1="20230301", **{"dates_deadline-2": "20230215"})
    )
    payload.append(dict(record, ID="42536", deadline1="2023-13-45"))
    payload.append(dict(record, ID="", post_title="Sans identifiant"))
    result = PARSER.parse(json.dumps(payload).encode(), "we.json")
    assert [n.native_id for n in result.notices] == ["42534", "42535"]
    assert result.notices[1].deadline == date(2023, 2, 15)
    assert [(p.origin, p.record) for p in result.problems] == [
        ("we.json", "42536"),
        ("we.json", "#3"),
    ]
