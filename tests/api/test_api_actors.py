"""Actors within the caller's territories, one actor, its matches with reasons."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from api_helpers import NOTICES, assert_problem
from fastapi.testclient import TestClient

from veilleuse.app.context import Context
from veilleuse.app.territories import visible_actor_ids
from veilleuse.core.models import Match, Reason
from veilleuse.records import matches as match_records

ApiClients = Callable[[str], TestClient]
HERE = "esat-jardins-escaut"  # Valenciennes
THERE = "ea-proprete-solidaire-lille"  # MEL


def test_the_list_holds_the_callers_territories_only(api_client: ApiClients, ctx: Context) -> None:
    from veilleuse.app import accounts

    for who, email in (
        ("officer", "officer@valenciennes.test"),
        ("officer_mel", "officer@mel.test"),
    ):
        body = api_client(who).get("/api/v1/actors").json()
        ids = {a["id"] for a in body["items"]}
        user = accounts.get_user_by_email(ctx, email)
        assert ids == visible_actor_ids(ctx, user) and body["total"] == len(ids)
        territory = user.territory_id
        assert {a["plan_territory"]["id"] for a in body["items"]} == {territory}
    admin = api_client("admin").get("/api/v1/actors").json()
    assert {HERE, THERE} <= {a["id"] for a in admin["items"]}


def test_list_filters(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("admin")

    def ids(qs: str) -> set[str]:
        response = client.get(f"/api/v1/actors?{qs}")
        assert response.status_code == 200, response.text
        return {a["id"] for a in response.json()["items"]}

    assert ids("family=esat") == {HERE, "esat-ateliers-rochelais"}
    assert ids("family=ea") == {THERE}
    assert ids("q=jardins escaut") == {HERE}
    assert ids("territory=mel") >= {THERE} and HERE not in ids("territory=mel")
    assert HERE in ids("cpv=77312000") and THERE not in ids("cpv=7731")
    assert ids("active=true") >= {HERE} and ids("active=false") == set()


@pytest.mark.parametrize(
    ("qs", "field"),
    [("family=banque", "family"), ("cpv=abc", "cpv"), ("active=peut-etre", "active")],
)
def test_bad_list_filters_are_400s(
    api_client: ApiClients, ctx: Context, qs: str, field: str
) -> None:
    body = assert_problem(api_client("officer").get(f"/api/v1/actors?{qs}"), 400)
    assert [e["field"] for e in body["errors"]] == [field]


def test_one_actor_and_another_territorys_is_404(api_client: ApiClients, ctx: Context) -> None:
    officer = api_client("officer")
    body = officer.get(f"/api/v1/actors/{HERE}").json()
    assert body["id"] == HERE and body["family"] == "esat" and body["family_label"] == "ESAT"
    assert body["plan_territory"] == {"id": "valenciennes", "name": "Valenciennes Métropole"}
    foreign = assert_problem(officer.get(f"/api/v1/actors/{THERE}"), 404)
    unknown = assert_problem(officer.get("/api/v1/actors/personne"), 404)
    assert foreign["title"] == unknown["title"] and foreign["type"] == unknown["type"]
    assert api_client("officer_mel").get(f"/api/v1/actors/{THERE}").status_code == 200


def test_matches_with_reasons_in_french_and_as_data(api_client: ApiClients, ctx: Context) -> None:
    cpv = Reason(code="cpv", params={"code": "77310000", "closeness": 1.0}, weight=20)
    territory = Reason(
        code="territory", params={"case": "department", "department": "59"}, weight=9
    )
    match_records.save_matches(
        ctx.records,
        [
            Match(
                actor_id=HERE,
                notice_uid=NOTICES[2].uid,
                score=80,
                reasons=[territory, cpv],
                components={"cpv": 20.0, "territory": 9.0},
            ),
            Match(actor_id=HERE, notice_uid=NOTICES[4].uid, score=50, reasons=[cpv]),
            Match(actor_id=HERE, notice_uid="boamp:disparu", score=40),
            Match(actor_id=THERE, notice_uid=NOTICES[2].uid, score=99),
        ],
    )
    client = api_client("staff")
    body = client.get(f"/api/v1/actors/{HERE}/matches").json()
    assert body["actor_id"] == HERE
    assert [m["notice_uid"] for m in body["items"]] == [
        NOTICES[2].uid,
        NOTICES[4].uid,
        "boamp:disparu",
    ]
    best = body["items"][0]
    assert best["notice"]["title"] == NOTICES[2].title and best["score"] == 80
    assert [r["code"] for r in best["reasons"]] == ["cpv", "territory"]  # heaviest first
    assert best["reasons"][0]["params"] == {"code": "77310000", "closeness": 1.0}
    assert all(r["text"] for r in best["reasons"])
    assert best["components"] == {"cpv": 20.0, "territory": 9.0}
    gone = body["items"][2]
    assert gone["notice"] is None and gone["closed"] is True
    opened = client.get(f"/api/v1/actors/{HERE}/matches?open_only=true&limit=1").json()
    assert [m["notice_uid"] for m in opened["items"]] == [NOTICES[2].uid]
    assert_problem(client.get(f"/api/v1/actors/{THERE}/matches"), 404)
    assert_problem(client.get(f"/api/v1/actors/{HERE}/matches?limit=0"), 400)
