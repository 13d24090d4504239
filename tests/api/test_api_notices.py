"""Search, cursor paging, facets and one notice, against the app's own store."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from api_helpers import NOTICES, UIDS, assert_problem
from fastapi.testclient import TestClient

from veilleuse.app.context import Context
from veilleuse.app.search import search
from veilleuse.app.search_params import parse_query_string
from veilleuse.core.models import Match, Reason
from veilleuse.records import matches as match_records

ApiClients = Callable[[str], TestClient]

#: query strings as the search page writes them (or a person would type them)
QUERIES = [
    "",
    "q=nettoyage",
    "q=nettoyage&mode=text",
    "q=espaces verts&mode=vector",
    "q=nettoyage&sort=-published",
    "dep=59,62&kind=tender",
    "dep=59&dep=62&kind=tender",
    "cpv=9091&reserved=true",
    "buyer=lille&sort=deadline",
    "published_days=5&per_page=7",
    "status=open&sort=-deadline&page=2&per_page=5",
    "q=collecte&kind=funding_call&kind=tender&per_page=100",
]


def uids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text[:500]
    return [item["uid"] for item in response.json()["items"]]


@pytest.mark.parametrize("qs", QUERIES)
def test_one_query_string_gives_the_pages_result(
    api_client: ApiClients, ctx: Context, qs: str
) -> None:
    expected = search(ctx, parse_query_string(qs))
    response = api_client("officer").get(f"/api/v1/notices?{qs}")
    assert uids(response) == [h.notice.uid for h in expected.hits]
    assert response.json()["total"] == expected.total
    assert response.json()["facets"] is None


def test_items_carry_every_field_but_the_raw_payload(api_client: ApiClients, ctx: Context) -> None:
    body = api_client("staff").get("/api/v1/notices?q=nettoyage&per_page=100").json()
    item = body["items"][0]
    assert "raw" not in item and "never in the API" not in str(body)
    assert {"uid", "title", "buyer", "lots", "deadline", "content_hash", "updated_at"} <= set(item)
    assert item["highlights"] and item["score"] > 0
    assert body["query"] == "q=nettoyage"  # canonical, without paging


@pytest.mark.parametrize(
    ("qs", "field", "words"),
    [
        ("dep=999", "dep", "n'est pas un code de département"),
        ("mode=magic", "mode", "n'est pas un mode de recherche"),
        ("per_page=500", "per_page", "doit être compris entre 1 et 100"),
        ("deadline_from=2026-05-01&deadline_to=2026-04-01", "deadline_to", "postérieur"),
        ("deps=59", "deps", "Paramètre inconnu"),
        ("facets=peut-être", "facets", "ni true ni false"),
        ("cursor=a&cursor=b", "cursor", "une seule valeur"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it_in_french(
    api_client: ApiClients, ctx: Context, qs: str, field: str, words: str
) -> None:
    body = assert_problem(api_client("officer").get(f"/api/v1/notices?{qs}"), 400)
    assert body["type"] == "urn:veilleuse:problem:invalid-parameter"
    assert body["title"] == "Requête invalide"
    assert [e["field"] for e in body["errors"]] == [field]
    assert words in body["errors"][0]["message"] and words in body["detail"]
    assert body["errors"][0]["message"].startswith("Paramètre") and field in body["detail"]


def test_every_bad_parameter_is_named_at_once(api_client: ApiClients, ctx: Context) -> None:
    body = assert_problem(api_client("officer").get("/api/v1/notices?dep=999&sort=x"), 400)
    assert sorted(e["field"] for e in body["errors"]) == ["dep", "sort"]


def walk(client: TestClient, qs: str) -> tuple[list[str], int]:
    """Every uid of a search, page after page by `next_cursor`; and the number of pages."""
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        suffix = f"&cursor={quote(cursor)}" if cursor else ""
        body = client.get(f"/api/v1/notices?{qs}{suffix}").json()
        seen += [item["uid"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages
        assert pages < 50


@pytest.mark.parametrize(
    "qs",
    [
        "per_page=4",
        "q=nettoyage&mode=text&per_page=3",
        "q=nettoyage&per_page=2",
        "dep=59&per_page=5",
    ],
)
def test_cursor_paging_walks_every_result_exactly_once(
    api_client: ApiClients, ctx: Context, qs: str
) -> None:
    client = api_client("officer")
    whole = search(ctx, parse_query_string(qs.split("per_page")[0] + "per_page=100"))
    seen, pages = walk(client, qs)
    assert seen == [h.notice.uid for h in whole.hits]
    assert len(seen) == len(set(seen)) == whole.total
    per_page = int(qs.rsplit("=", 1)[1])
    assert pages == -(-whole.total // per_page)
    if qs == "per_page=4":
        assert sorted(seen) == UIDS


def test_page_says_where_a_walk_starts(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("officer")
    everything, _ = walk(client, "per_page=5")
    from_third, _ = walk(client, "per_page=5&page=3")
    assert from_third == everything[10:]


def test_a_tampered_or_foreign_cursor_is_a_400(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("officer")
    cursor = client.get("/api/v1/notices?per_page=5").json()["next_cursor"]
    body, signature = cursor.split(".")
    forged = body[:-2] + ("AA" if body[-2:] != "AA" else "BB") + "." + signature
    cases = {
        "altered": f"per_page=5&cursor={quote(forged)}",
        "unsigned": f"per_page=5&cursor={quote(body)}",
        "garbage": "per_page=5&cursor=n%27importe%20quoi",
        "another query": f"per_page=5&dep=59&cursor={quote(cursor)}",
    }
    for case, qs in cases.items():
        problem = assert_problem(client.get(f"/api/v1/notices?{qs}"), 400)
        assert [e["field"] for e in problem["errors"]] == ["cursor"], case
    changes_cursor = client.get("/api/v1/changes?updated_since=2000-01-01&per_page=2").json()
    assert changes_cursor["next_cursor"]
    replay = client.get(f"/api/v1/changes?cursor={quote(cursor)}")
    assert_problem(replay, 400)
    # the same search written differently is the same query: the cursor goes on
    same = client.get(f"/api/v1/notices?per_page=7&cursor={quote(cursor)}")
    assert same.status_code == 200


def test_facets_count_the_same_search(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("officer")
    for qs in ("", "q=nettoyage", "dep=59&kind=tender"):
        expected = search(ctx, parse_query_string(qs).model_copy(update={"with_facets": True}))
        body = client.get(f"/api/v1/facets?{qs}").json()
        assert body["facets"] == expected.facets and body["total"] == expected.total
        listed = client.get(f"/api/v1/notices?{qs}&facets=true").json()
        assert listed["facets"] == expected.facets
    assert sum(body["facets"]["department"].values()) >= 1
    assert_problem(client.get("/api/v1/facets?cursor=x"), 400)


def test_one_notice_with_its_matches_of_the_callers_territories(
    api_client: ApiClients, ctx: Context
) -> None:
    uid = NOTICES[1].uid
    reason = Reason(code="cpv", params={"code": "90910000", "closeness": 1.0}, weight=20)
    match_records.save_matches(
        ctx.records,
        [
            Match(actor_id="esat-jardins-escaut", notice_uid=uid, score=70, reasons=[reason]),
            Match(actor_id="ea-proprete-solidaire-lille", notice_uid=uid, score=90),
        ],
    )
    body = api_client("officer").get(f"/api/v1/notices/{uid}").json()
    assert body["uid"] == uid and "raw" not in body
    assert body["cpv_labels"][0]["code"] == "90910000" and body["cpv_labels"][0]["label"]
    assert [m["actor_id"] for m in body["matches"]] == ["esat-jardins-escaut"]
    (worded,) = body["matches"][0]["reasons"]
    assert worded["code"] == "cpv" and worded["params"]["code"] == "90910000"
    assert worded["text"] and worded["weight"] == 20
    mel = api_client("officer_mel").get(f"/api/v1/notices/{uid}").json()
    assert [m["actor_id"] for m in mel["matches"]] == ["ea-proprete-solidaire-lille"]


def test_a_uid_with_a_slash_and_an_unknown_uid(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("staff")
    found = client.get("/api/v1/notices/ted:2026/S 012-034567")
    assert found.status_code == 200 and found.json()["title"].startswith("Nettoyage")
    body = assert_problem(client.get("/api/v1/notices/boamp:nope"), 404)
    assert "boamp:nope" in body["detail"]
