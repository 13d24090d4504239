"""The notice page and the push form, for every role, over the seeded demo data.

The notice, its matches and its suggested team are constructed and written into the app's own
store and records (the demo actors: `esat-jardins-escaut` is in Valenciennes, the officer's
territory; `ea-proprete-solidaire-lille` is in the MEL).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import ROLES, csrf_token

from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.models import (
    Evidence,
    GroupedBidSuggestion,
    Lot,
    LotAssignment,
    Match,
    Notice,
    NoticeKind,
    Reason,
)
from veilleuse.records import matches as match_records
from veilleuse.records import pushes as push_records

Clients = Callable[[str | None], TestClient]
UID = "boamp:26-100"
PAGE = f"/avis/{UID}"
PUSH = f"{PAGE}/pousser"
HERE = "esat-jardins-escaut"
THERE = "ea-proprete-solidaire-lille"
TITLE = '<script>alert("x")</script> Entretien des espaces verts'


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    """The app's own context, with one notice, its duplicate, two matches and a team."""
    app, _ = web_app
    context: Context = app.state.ctx
    deadline = (datetime.now(UTC) + timedelta(days=30)).date()
    context.store.write(
        [
            Notice(
                uid=UID,
                source="boamp",
                native_id="26-100",
                kind=NoticeKind.TENDER,
                title=TITLE,
                description="Entretien des parcs.\nTonte et élagage.",
                url="https://www.boamp.fr/pages/avis/?q=idweb:26-100",
                deadline=deadline,
                cpv=["77310000"],
                reserved=True,
                evidence=Evidence(reserved=["Marché réservé aux ESAT (article L2113-12)"]),
                also_in=["ted:555-2026"],
                identifiers=["555-2026"],
                lots=[
                    Lot(id="LOT-1", title="Tonte", cpv=["77312000"]),
                    Lot(id="LOT-2", title="Élagage", cpv=["77341000"], social_clause=True),
                ],
            ).with_hash(),
            Notice(
                uid="ted:555-2026",
                source="ted",
                native_id="555-2026",
                kind=NoticeKind.TENDER,
                title="Maintenance of parks",
                deadline=deadline,
                also_in=[UID],
            ).with_hash(),
        ]
    )
    reason = Reason(code="cpv", params={"code": "77310000", "closeness": 1.0}, weight=20)
    match_records.save_matches(
        context.records,
        [
            Match(actor_id=HERE, notice_uid=UID, score=71, lot_ids=["LOT-1"], reasons=[reason]),
            Match(actor_id=THERE, notice_uid=UID, score=90, lot_ids=["LOT-2"], reasons=[reason]),
        ],
    )
    match_records.save_suggestions(
        context.records,
        [
            GroupedBidSuggestion(
                notice_uid=UID,
                members=[HERE, THERE],
                lead=HERE,
                assignments=[
                    LotAssignment(lot_id="LOT-1", actor_id=HERE, fit=0.9, why=""),
                    LotAssignment(lot_id="LOT-2", actor_id=THERE, fit=0.9, why=""),
                ],
                coverage=1.0,
                score=80,
            )
        ],
    )
    return context


def push(client: TestClient, actors: list[str], **extra: str) -> int:
    token = csrf_token(client, "/compte/mot-de-passe")
    data: dict[str, object] = {"actors": actors, "csrf_token": token, **extra}
    return client.post(PUSH, data=data).status_code


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(client_for: Clients, ctx: Context, role: str) -> None:
    page = client_for(role).get(PAGE).status_code
    pushed = push(client_for(role), [HERE])
    readers, pushers = {"admin", "officer", "staff", "committee"}, {"admin", "officer"}
    assert (page, pushed) == (
        200 if role in readers else 403,
        303 if role in pushers else 403,
    )
    assert len(push_records.pushes_of_notice(ctx.records, [UID])) == (role in pushers)


def test_anonymous_visitors_are_sent_to_login(client_for: Clients, ctx: Context) -> None:
    client = client_for(None)
    response = client.get(PAGE)
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
    token = csrf_token(client, "/connexion")
    response = client.post(PUSH, data={"actors": [HERE], "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
    assert push_records.pushes_of_notice(ctx.records, [UID]) == []


def test_page_shows_the_notice_escaped_with_only_this_territory(
    client_for: Clients, ctx: Context
) -> None:
    html = client_for("officer").get(PAGE).text
    assert '<script>alert("x")' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Entretien des espaces verts" in html
    assert "Marché réservé" in html and "Clause sociale" in html
    assert "Marché réservé aux ESAT (article L2113-12)" in html  # the evidence
    assert "Services d&#39;enlèvement des mauvaises herbes" in html  # a lot's CPV label
    assert 'href="/avis/ted%3A555-2026"' in html and "Maintenance of parks" in html
    assert 'href="https://www.boamp.fr/pages/avis/?q=idweb:26-100"' in html
    assert "aussi : <code>555-2026</code>" in html and "Collecté" in html
    assert "ESAT Les Jardins de l&#39;Escaut" in html
    assert "Propreté Solidaire Lilloise" not in html  # another territory's actor
    assert "Code CPV de vos activités" in html  # reasons worded at display time
    assert "structures d'autres territoires" in html  # the team is not shown
    assert 'action="/avis/boamp%3A26-100/pousser"' in html
    assert 'name="csrf_token"' in html and 'for="push-note"' in html
    admin = client_for("admin").get(PAGE).text
    assert "Propreté Solidaire Lilloise" in admin and "mandataire" in admin
    committee = client_for("committee").get(PAGE).text
    assert "ESAT Les Jardins de l&#39;Escaut" in committee and "Pousser l'avis" not in committee
    assert client_for("officer").get("/avis/boamp:inconnu").status_code == 404


def test_push_twice_is_once_and_foreign_actors_are_not_found(
    client_for: Clients, ctx: Context
) -> None:
    officer = client_for("officer")
    assert push(officer, [HERE], note="Lot 1 pour vous") == 303
    page = officer.get(PAGE).text
    assert "poussé : il sera dans son prochain digest" in page
    assert "Lot 1 pour vous" in page and "dans le prochain digest" in page
    assert push(officer, [HERE], note="encore") == 303
    assert "déjà poussé" in officer.get(PAGE).text
    assert [p.note for p in push_records.pushes_of_notice(ctx.records, [UID])] == [
        "Lot 1 pour vous"
    ]
    assert push(officer, [HERE, THERE]) == 404  # another territory: as if it did not exist
    assert push(client_for("officer_mel"), [HERE]) == 404
    assert push(officer, []) == 303  # nothing chosen: said on the page
    assert "choisissez au moins une structure" in officer.get(PAGE).text
    assert len(push_records.pushes_of_notice(ctx.records, [UID])) == 1


def test_push_without_csrf_token_is_refused_and_changes_nothing(
    client_for: Clients, ctx: Context
) -> None:
    officer = client_for("officer")
    response = officer.post(PUSH, data={"actors": [HERE]})
    assert response.status_code == 403
    response = officer.post(PUSH, data={"actors": [HERE], "csrf_token": "faux"})
    assert response.status_code == 403
    assert push_records.pushes_of_notice(ctx.records, [UID]) == []
