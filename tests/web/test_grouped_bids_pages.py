"""The grouped-bid register's pages (`/groupements`), for every role, over the seeded demo data.

Bids are created with the application's own use cases (`bid_data`); pages are read and forms
posted as a browser would (CSRF token from a page of the session).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from io import BytesIO

import openpyxl
import pytest
from bid_data import (
    ACTIV,
    ESAT,
    EVE,
    FUNDING,
    LILLE,
    MEL_UID,
    ROUBAIX,
    TITLE,
    UID,
    moved,
    new_bid,
    seed_bid_world,
    team,
    user_of,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import ROLES, csrf_token

from veilleuse.app.bid_board import express_interest
from veilleuse.app.context import Context
from veilleuse.app.grouped_bids import visible_bid
from veilleuse.config.settings import Settings
from veilleuse.core.bids import BidMember, BidStage, MemberRole, OutcomeProposal
from veilleuse.core.models import Money
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records.tables import GroupedBidRow

Clients = Callable[[str | None], TestClient]
S = BidStage
EDITORS = {"admin", "officer", "staff"}
READERS = EDITORS | {"committee"}
TOKEN_PAGE = "/compte/mot-de-passe"


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    context: Context = app.state.ctx
    seed_bid_world(context)
    return context


def post(client: TestClient, path: str, data: dict[str, object] | None = None) -> object:
    token = csrf_token(client, TOKEN_PAGE)
    return client.post(path, data={**(data or {}), "csrf_token": token})


def stored(ctx: Context, bid_id: int | None) -> object:
    assert bid_id is not None
    return bid_records.get_grouped_bid(ctx.records, bid_id)


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(client_for: Clients, ctx: Context, role: str) -> None:
    bid = new_bid(ctx)  # at « repérée »
    mel = new_bid(ctx, uid=MEL_UID, who="officer_mel", members=team(LILLE, ROUBAIX))
    b, m = bid.id, mel.id
    reads = [
        "/groupements",
        "/groupements/liste",
        f"/groupements/liste?etape=spotted&nature=tender&structure={ESAT}&du=2020-01-01",
        "/groupements/export.csv",
        "/groupements/export.xlsx",
        f"/groupements/{b}",
    ]
    forms = [
        "/groupements/nouveau",
        f"/groupements/nouveau?avis={UID}",
        f"/groupements/{b}/modifier",
    ]
    writes: list[tuple[str, dict[str, object], int]] = [
        (f"/groupements/{b}/etape", {"from_stage": "spotted", "to_stage": "interest"}, 303),
        (f"/groupements/{b}/modifier", {"member-0-actor": ESAT, "member-0-role": "lead",
                                        "member-1-actor": EVE, "notes": "Réunion mardi"}, 303),
        ("/groupements/nouveau", {"avis": UID, "member-0-actor": ESAT}, 303),
        ("/groupements/depuis-suggestion", {"avis": UID}, 303),
        (f"/groupements/{b}/proposition/confirmer", {}, 400),  # no proposal to confirm
    ]  # fmt: skip
    client = client_for(role)
    got = {path: client.get(path).status_code for path in reads + forms}
    expected = {path: 200 if role in READERS else 403 for path in reads}
    expected |= {path: 200 if role in EDITORS else 403 for path in forms}
    for path, data, status in writes:
        got[path] = post(client, path, data).status_code  # type: ignore[attr-defined]
        expected[path] = status if role in EDITORS else 403
    # another territory's bid: not found (an administrator sees every territory)
    foreign = 200 if role == "admin" else 404 if role in READERS else 403
    got["foreign"] = client.get(f"/groupements/{m}").status_code
    expected["foreign"] = foreign
    got["foreign-post"] = post(
        client, f"/groupements/{m}/etape", {"from_stage": "spotted", "to_stage": "interest"}
    ).status_code  # type: ignore[attr-defined]
    expected["foreign-post"] = 303 if role == "admin" else 404 if role in EDITORS else 403
    wrong = {k: (got[k], expected[k]) for k in expected if got[k] != expected[k]}
    assert not wrong, f"{role}: (got, expected) {wrong}"
    after = stored(ctx, b)
    assert after.stage is (S.INTEREST if role in EDITORS else S.SPOTTED)  # type: ignore[attr-defined]
    assert (after.notes == "Réunion mardi") is (role in EDITORS)  # type: ignore[attr-defined]


def test_anonymous_visitors_are_sent_to_login(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(ctx)
    client = client_for(None)
    for path in ("/groupements", f"/groupements/{bid.id}", "/groupements/liste"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
    token = csrf_token(client, "/connexion")
    response = client.post(
        f"/groupements/{bid.id}/etape", data={"to_stage": "interest", "csrf_token": token}
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/connexion")
    assert stored(ctx, bid.id).stage is S.SPOTTED  # type: ignore[attr-defined]


def test_navigation_shows_groupements_to_readers_only(client_for: Clients, ctx: Context) -> None:
    for role in ROLES:
        html = client_for(role).get(TOKEN_PAGE).text
        assert ('href="/groupements"' in html) is (role in READERS), role


def test_every_post_needs_the_csrf_token(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(ctx)
    client = client_for("officer")
    client.get(f"/groupements/{bid.id}")  # a session with a token
    for path, data in (
        (f"/groupements/{bid.id}/etape", {"from_stage": "spotted", "to_stage": "interest"}),
        (f"/groupements/{bid.id}/modifier", {"notes": "sans jeton"}),
        ("/groupements/depuis-suggestion", {"avis": UID}),
        ("/groupements/nouveau", {"avis": UID, "member-0-actor": ESAT}),
    ):
        assert client.post(path, data=data).status_code == 403, path
        assert client.post(path, data={**data, "csrf_token": "faux"}).status_code == 403, path
    assert stored(ctx, bid.id).stage is S.SPOTTED  # type: ignore[attr-defined]
    assert len(bid_records.list_grouped_bids(ctx.records)) == 1


# --------------------------------------------------------------------------- the board


def test_board_shows_cards_by_stage_with_the_lead_and_the_allowed_moves(
    client_for: Clients, ctx: Context
) -> None:
    spotted = new_bid(ctx)
    submitted = new_bid(ctx, S.SUBMITTED, title="Marché déposé")
    html = main_of(client_for("staff").get("/groupements").text)
    for stage in BidStage:
        assert f'id="col-{stage.value}"' in html
    card = html[html.index(f'id="bid-{spotted.id}"') :]
    card = card[: card.index("</li>\n</ul>") if "</li>\n</ul>" in card else len(card)]
    assert TITLE in card and "ESAT Les Jardins de l&#39;Escaut" in card
    assert '<span class="lead-badge">mandataire</span>' in card
    assert "LOT-1, LOT-2" in card
    # from « repérée »: intérêt in one click, abandon through the bid page (it needs a reason)
    assert 'name="to_stage" value="interest"' in card
    assert f'href="/groupements/{spotted.id}?vers=abandoned#changer"' in card
    assert 'value="team_formed"' not in card
    # from « candidature déposée »: gagnée / perdue need more, infructueuse is one click
    assert f'href="/groupements/{submitted.id}?vers=won#changer"' in html
    client = client_for("staff")
    response = post(
        client,
        f"/groupements/{spotted.id}/etape",
        {"from_stage": "spotted", "to_stage": "interest", "back": "/groupements"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/groupements"  # type: ignore[attr-defined]
    assert "Groupement passé à l&#39;étape « intérêt »." in client.get("/groupements").text


def test_committee_reads_everything_but_sees_no_button_nor_form(
    client_for: Clients, ctx: Context
) -> None:
    bid = new_bid(ctx, notes="Compte rendu du comité")
    client = client_for("committee")
    for path in ("/groupements", f"/groupements/{bid.id}", "/groupements/liste"):
        html = main_of(client.get(path).text)
        assert 'method="post"' not in html, path
        assert "/modifier" not in html and "Nouveau groupement" not in html, path
    page = client.get(f"/groupements/{bid.id}").text
    assert "Compte rendu du comité" in page and "Chronologie" in page
    assert "Changer d&#39;étape" not in page and 'name="to_stage"' not in page


def test_possible_teams_are_offered_and_become_a_bid(client_for: Clients, ctx: Context) -> None:
    officer = user_of(ctx, "officer")
    express_interest(ctx, officer, UID, ESAT)
    express_interest(ctx, officer, UID, EVE)
    client = client_for("officer")
    html = main_of(client.get("/groupements").text)
    teams = html[html.index('id="equipes"') :]
    assert TITLE in teams and "Ensemble : 2 lots sur 2" in teams
    assert 'action="/groupements/depuis-suggestion"' in teams
    response = post(client, "/groupements/depuis-suggestion", {"avis": UID, "actors": [ESAT, EVE]})
    assert response.status_code == 303  # type: ignore[attr-defined]
    bid_id = int(response.headers["location"].rsplit("/", 1)[1])  # type: ignore[attr-defined]
    bid = stored(ctx, bid_id)
    assert bid.stage is S.INTEREST and bid.member_ids() == [ESAT, EVE]  # type: ignore[attr-defined]
    # the team is tracked now: no longer « possible »
    assert 'name="actors"' not in main_of(client.get("/groupements").text)


# --------------------------------------------------------------------------- from a notice


def test_the_notice_page_creates_a_bid_from_its_suggested_team(
    client_for: Clients, ctx: Context
) -> None:
    client = client_for("officer")
    notice_page = client.get(f"/avis/{UID}").text
    section = notice_page[notice_page.index('id="groupement"') :]
    assert "Créer le groupement" in section and 'action="/groupements/depuis-suggestion"' in section
    assert f'href="/groupements/nouveau?avis={UID.replace(":", "%3A")}"' in section
    assert "Créer le groupement" not in client_for("committee").get(f"/avis/{UID}").text
    response = post(client, "/groupements/depuis-suggestion", {"avis": UID})
    assert response.status_code == 303  # type: ignore[attr-defined]
    location = response.headers["location"]  # type: ignore[attr-defined]
    bid = stored(ctx, int(location.rsplit("/", 1)[1]))
    assert bid.from_suggestion and bid.lead().actor_id == ESAT  # type: ignore[attr-defined]
    assert [m.lots for m in bid.members] == [["LOT-1"], ["LOT-2"]]  # type: ignore[attr-defined]
    page = client.get(location).text
    assert "Création à l'étape « repérée »" in page and "(depuis une suggestion)" in page
    # a second click does not create it twice: back to the notice with the reason
    again = post(client, "/groupements/depuis-suggestion", {"avis": UID})
    assert again.status_code == 303 and again.headers["location"].startswith(f"/avis/{UID}")  # type: ignore[attr-defined]
    assert "déjà été créé depuis cette suggestion" in client.get(f"/avis/{UID}").text
    assert len(bid_records.list_grouped_bids(ctx.records)) == 1


def test_a_bid_by_hand_for_a_funding_call_with_suggested_partners(
    client_for: Clients, ctx: Context
) -> None:
    client = client_for("staff")
    form = client.get(f"/groupements/nouveau?avis={FUNDING}&structure={ESAT}").text
    assert 'option value="funding" selected' in form
    assert "Partenaires suggérés" in form
    response = post(
        client,
        "/groupements/nouveau",
        {
            "avis": FUNDING, "kind": "funding", "stage": "interest",
            "member-0-actor": ESAT, "member-0-role": "lead", "member-1-actor": ACTIV,
            "documents": "https://partage.example.org/aap\njavascript:alert(1)",
        },
    )  # fmt: skip
    # a document that is not an http(s) link is refused, the form shown again as typed
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert "Un document est un lien http(s)" in text and "partage.example.org/aap" in text
    response = post(
        client,
        "/groupements/nouveau",
        {"avis": FUNDING, "kind": "funding", "stage": "interest", "member-0-actor": ESAT,
         "member-0-role": "lead", "member-1-actor": ACTIV, "form": "solidaire"},
    )  # fmt: skip
    assert response.status_code == 303  # type: ignore[attr-defined]
    bid = stored(ctx, int(response.headers["location"].rsplit("/", 1)[1]))  # type: ignore[attr-defined]
    assert bid.kind.value == "funding" and bid.stage is S.INTEREST  # type: ignore[attr-defined]
    assert bid.member_ids() == [ESAT, ACTIV] and bid.form.value == "solidaire"  # type: ignore[attr-defined]


def test_a_bid_for_an_unknown_notice_is_not_found(client_for: Clients, ctx: Context) -> None:
    client = client_for("officer")
    assert client.get("/groupements/nouveau?avis=boamp:inconnu").status_code == 404
    response = post(
        client, "/groupements/nouveau", {"avis": "boamp:inconnu", "member-0-actor": ESAT}
    )
    assert response.status_code == 404  # type: ignore[attr-defined]
    assert client.get("/groupements/999999").status_code == 404
    assert client.get("/groupements/abc").status_code == 404


# --------------------------------------------------------------------------- changes of stage


def test_a_stale_page_shows_the_french_refusal_and_changes_nothing(
    client_for: Clients, ctx: Context
) -> None:
    bid = moved(ctx, new_bid(ctx), S.INTEREST)
    first, second = client_for("officer"), client_for("staff")
    stale = second.get(f"/groupements/{bid.id}").text  # the form says « intérêt »
    assert 'name="from_stage" value="interest"' in stale
    response = post(
        first, f"/groupements/{bid.id}/etape", {"from_stage": "interest", "to_stage": "team_formed"}
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    history = len(stored(ctx, bid.id).history)  # type: ignore[attr-defined]
    # the second person submits the form of the page it still shows
    refused = post(
        second, f"/groupements/{bid.id}/etape", {"from_stage": "interest", "to_stage": "abandoned",
                                                 "reason": "capacity"},
    )  # fmt: skip
    assert refused.status_code == 409  # type: ignore[attr-defined]
    html = refused.text  # type: ignore[attr-defined]
    assert 'class="form-error transition-error" role="alert"' in html
    assert "Changement d&#39;étape refusé" in html and "équipe formée" in html
    assert "Traceback" not in html
    after = stored(ctx, bid.id)
    assert after.stage is S.TEAM_FORMED and len(after.history) == history  # type: ignore[attr-defined]
    # the form shown with the refusal is the current one (the stages allowed now)
    assert 'name="from_stage" value="team_formed"' in html and 'value="submitted"' in html


def test_a_change_the_table_refuses_is_409(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(ctx)
    response = post(client_for("officer"), f"/groupements/{bid.id}/etape", {"to_stage": "won"})
    assert response.status_code == 409  # type: ignore[attr-defined]
    assert "« repérée » → « gagnée »" in response.text  # type: ignore[attr-defined]
    assert stored(ctx, bid.id).stage is S.SPOTTED  # type: ignore[attr-defined]


def test_lost_and_abandoned_ask_a_coded_reason(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(ctx, S.SUBMITTED)
    client = client_for("officer")
    page = client.get(f"/groupements/{bid.id}?vers=lost").text
    assert 'id="to-lost" name="to_stage" value="lost" checked' in page
    assert '<option value="price">prix</option>' in page
    url = f"/groupements/{bid.id}/etape"
    missing = post(client, url, {"from_stage": "submitted", "to_stage": "lost"})
    assert missing.status_code == 400 and "indiquez la raison" in missing.text  # type: ignore[attr-defined]
    other = post(client, url, {"from_stage": "submitted", "to_stage": "lost", "reason": "other"})
    assert other.status_code == 400 and "précisez-la" in other.text  # type: ignore[attr-defined]
    assert stored(ctx, bid.id).stage is S.SUBMITTED  # type: ignore[attr-defined]
    done = post(
        client, url, {"from_stage": "submitted", "to_stage": "lost", "reason": "other",
                      "detail": "Offre hors délai de l'acheteur", "note": "Débrief demandé"},
    )  # fmt: skip
    assert done.status_code == 303  # type: ignore[attr-defined]
    after = stored(ctx, bid.id)
    assert (
        after.loss_reason.value == "other" and after.loss_detail == "Offre hors délai de l'acheteur"
    )  # type: ignore[attr-defined]
    html = client.get(f"/groupements/{bid.id}").text
    assert "candidature déposée → perdue" in html and "Raison : autre" in html
    assert "Débrief demandé" in html and "« perdue » est une étape finale" in html


def test_a_win_records_the_amount_and_each_members_share(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(ctx, S.SUBMITTED)
    client = client_for("staff")
    page = client.get(f"/groupements/{bid.id}?vers=won").text
    assert f'name="share-{ESAT}"' in page and f'name="share-{EVE}"' in page
    url = f"/groupements/{bid.id}/etape"
    wrong = post(
        client, url, {"from_stage": "submitted", "to_stage": "won", "amount_won": "45 000",
                      f"share-{ESAT}": "60", f"share-{EVE}": "30"},
    )  # fmt: skip
    assert wrong.status_code == 400  # type: ignore[attr-defined]
    assert "Les parts des membres font 90,0 % au lieu de 100 %" in wrong.text  # type: ignore[attr-defined]
    assert 'value="45 000"' in wrong.text  # type: ignore[attr-defined]  (kept as typed)
    not_a_number = post(
        client, url, {"from_stage": "submitted", "to_stage": "won", "amount_won": "beaucoup"}
    )
    assert not_a_number.status_code == 400 and "n&#39;est pas un nombre" in not_a_number.text  # type: ignore[attr-defined]
    assert stored(ctx, bid.id).stage is S.SUBMITTED  # type: ignore[attr-defined]
    won = post(
        client, url, {"from_stage": "submitted", "to_stage": "won", "amount_won": "45 000,50",
                      f"share-{ESAT}": "62,5", f"share-{EVE}": "37,5"},
    )  # fmt: skip
    assert won.status_code == 303  # type: ignore[attr-defined]
    after = stored(ctx, bid.id)
    assert after.stage is S.WON and after.amount_won.amount == 45000.5  # type: ignore[attr-defined]
    assert [m.share_percent for m in after.members] == [62.5, 37.5]  # type: ignore[attr-defined]
    html = main_of(client.get(f"/groupements/{bid.id}").text)
    assert "45\xa0000\xa0€" in html and "62,5 %" in html and "37,5 %" in html
    assert "candidature déposée → gagnée" in html


# --------------------------------------------------------------------------- the bid page


def test_notes_and_documents_are_shown_safely(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(
        ctx,
        notes='<script>alert("notes")</script>\nDeuxième ligne',
        documents=["https://partage.example.org/dce"],
    )
    # a document stored before the rule, or by another front end: never a link
    with ctx.records.session() as s:
        row = s.get(GroupedBidRow, bid.id)
        assert row is not None
        row.documents = [*row.documents, "javascript:alert(1)", "ftp://x.example/y"]
    html = main_of(client_for("officer").get(f"/groupements/{bid.id}").text)
    assert '<script>alert("notes")' not in html
    assert "&lt;script&gt;alert(&#34;notes&#34;)&lt;/script&gt;" in html
    assert '<a href="https://partage.example.org/dce" rel="noopener noreferrer">' in html
    assert 'href="javascript:' not in html and 'href="ftp:' not in html
    assert "<span>javascript:alert(1)</span>" in html


def test_the_timeline_says_who_when_from_to_note_and_reason(
    client_for: Clients, ctx: Context
) -> None:
    bid = moved(ctx, new_bid(ctx), S.INTEREST, S.TEAM_FORMED)
    post(
        client_for("staff"), f"/groupements/{bid.id}/etape",
        {"from_stage": "team_formed", "to_stage": "abandoned", "reason": "capacity",
         "note": "Pas assez de personnel en juin"},
    )  # fmt: skip
    html = main_of(client_for("committee").get(f"/groupements/{bid.id}").text)
    timeline = html[html.index('id="chronologie"') :]
    steps = re.findall(r'<p class="what">([^<]+)</p>', timeline)
    assert steps == [
        "équipe formée → abandonnée",
        "intérêt → équipe formée",
        "repérée → intérêt",
        "Création à l'étape « repérée »",
    ]
    assert "Raison : capacité" in timeline and "Pas assez de personnel en juin" in timeline
    assert "staff" in timeline and "officer" in timeline  # who (the accounts' names)


def test_edit_adds_and_removes_members_and_checks_the_team(
    client_for: Clients, ctx: Context
) -> None:
    bid = moved(ctx, new_bid(ctx), S.INTEREST, S.TEAM_FORMED)
    client = client_for("officer")
    form = client.get(f"/groupements/{bid.id}/modifier").text
    assert 'name="member-2-actor"' in form  # an empty row to add a structure
    assert 'name="member-0-lots" value="LOT-1" checked' in form
    url = f"/groupements/{bid.id}/modifier"
    added = post(
        client, url,
        {"member-0-actor": ESAT, "member-0-role": "lead", "member-0-lots": ["LOT-1"],
         "member-1-actor": EVE, "member-1-role": "cotraitant", "member-1-lots": ["LOT-2"],
         "member-2-actor": ACTIV, "member-2-role": "sous_traitant", "member-2-lots": ["LOT-2"],
         "form": "conjoint", "contact_name": "Mme Martin", "contact_email": "martin@example.org"},
    )  # fmt: skip
    assert added.status_code == 303  # type: ignore[attr-defined]
    after = stored(ctx, bid.id)
    assert after.member_ids() == [ESAT, EVE, ACTIV]  # type: ignore[attr-defined]
    assert after.members[2].role is MemberRole.SOUS_TRAITANT and after.form.value == "conjoint"  # type: ignore[attr-defined]
    # removing the lead of a formed team is refused with the reason, nothing changed
    refused = post(
        client, url,
        {"member-0-actor": ESAT, "member-0-role": "lead", "member-0-remove": "1",
         "member-1-actor": EVE, "member-2-actor": ACTIV},
    )  # fmt: skip
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "l&#39;équipe a un mandataire" in refused.text  # type: ignore[attr-defined]
    assert stored(ctx, bid.id).member_ids() == [ESAT, EVE, ACTIV]  # type: ignore[attr-defined]
    # an actor of another territory cannot be added
    foreign = post(client, url, {"member-0-actor": ESAT, "member-0-role": "lead",
                                 "member-1-actor": LILLE})  # fmt: skip
    assert foreign.status_code == 422  # type: ignore[attr-defined]
    assert LILLE not in stored(ctx, bid.id).member_ids()  # type: ignore[attr-defined]
    removed = post(
        client, url,
        {"member-0-actor": ESAT, "member-0-role": "lead", "member-1-actor": EVE,
         "member-2-actor": ACTIV, "member-2-remove": "1"},
    )  # fmt: skip
    assert removed.status_code == 303  # type: ignore[attr-defined]
    assert stored(ctx, bid.id).member_ids() == [ESAT, EVE]  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- list and exports


def test_the_list_filters_and_exports_what_it_shows(client_for: Clients, ctx: Context) -> None:
    new_bid(ctx, title="Premier groupement")
    new_bid(ctx, S.SUBMITTED, title="Groupement déposé")
    new_bid(ctx, uid=FUNDING, members=[BidMember(actor_id=ACTIV)], title="Collectif alimentation")
    client = client_for("staff")
    everything = main_of(client.get("/groupements/liste").text)
    assert "3 groupements" in everything
    submitted = main_of(client.get("/groupements/liste?etape=submitted").text)
    assert "1 groupement<" in submitted and "Groupement déposé" in submitted
    funding = main_of(client.get("/groupements/liste?nature=funding").text)
    assert "Collectif alimentation" in funding and "Premier groupement" not in funding
    member = main_of(client.get(f"/groupements/liste?structure={ACTIV}").text)
    assert "Collectif alimentation" in member and "Groupement déposé" not in member
    assert "Aucun groupement" in client.get("/groupements/liste?du=2999-01-01").text
    bad = client.get("/groupements/liste?du=hier")
    assert bad.status_code == 400 and "n&#39;est pas une date" in bad.text
    assert 'href="/groupements/export.csv?etape=submitted"' in submitted
    csv = client.get("/groupements/export.csv?etape=submitted")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "Groupement déposé" in csv.content.decode("utf-8-sig", "replace")
    assert "Premier groupement" not in csv.content.decode("utf-8-sig", "replace")
    xlsx = client.get("/groupements/export.xlsx?nature=funding")
    sheet = openpyxl.load_workbook(BytesIO(xlsx.content)).active
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
    assert "Collectif alimentation" in cells and "Premier groupement" not in cells


# --------------------------------------------------------------------------- actors' interest


def test_an_actor_says_it_is_interested_from_its_space(client_for: Clients, ctx: Context) -> None:
    from veilleuse.core.models import Match, Reason
    from veilleuse.records import matches as match_records

    reason = Reason(code="cpv", params={"code": "77310000", "closeness": 1.0}, weight=20)
    match_records.save_matches(
        ctx.records,
        [Match(actor_id=ESAT, notice_uid=UID, score=71, lot_ids=["LOT-1"], reasons=[reason])],
    )
    client = client_for("actor")
    page = client.get("/mon-espace").text
    assert 'action="/mon-espace/interet"' in page and f'name="avis" value="{UID}"' in page
    response = post(client, "/mon-espace/interet", {"avis": UID})
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/mon-espace").text
    assert "votre chargé·e de veille sait que cet avis vous intéresse" in page
    interests = page[page.index('id="interets"') :]
    assert TITLE in interests
    assert "Vous avez dit que cet avis vous intéresse." in page
    again = post(client, "/mon-espace/interet", {"avis": UID})
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert "Vous aviez déjà dit" in client.get("/mon-espace").text
    for role in ("officer", "committee"):
        assert post(client_for(role), "/mon-espace/interet", {"avis": UID}).status_code == 403  # type: ignore[attr-defined]
    assert post(client, "/mon-espace/interet", {"avis": "boamp:inconnu"}).status_code == 404  # type: ignore[attr-defined]
    # the bid page of the register's staff is not open to the actor
    bid = new_bid(ctx)
    assert client.get(f"/groupements/{bid.id}").status_code == 403
    assert visible_bid(ctx, user_of(ctx, "officer"), bid.id).id == bid.id  # type: ignore[arg-type]


# --------------------------------------------------------------------------- proposed outcome


def _propose(ctx: Context, bid_id: int | None, outcome: BidStage, amount: float | None) -> None:
    assert bid_id is not None
    proposal = OutcomeProposal(
        award_uid="boamp:26-399",
        outcome=outcome,
        awardees=["ESAT Les Jardins de l'Escaut (12345678900011)"],
        amount=Money(amount=amount) if amount else None,
        matched_by="boamp:26-300",
        proposed_at=datetime.now(UTC),
        members_awarded=[ESAT] if outcome is S.WON else [],
    )
    assert bid_records.set_proposal(ctx.records, bid_id, proposal) is not None


def test_a_proposed_win_is_confirmed_with_the_shares(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(ctx, S.SUBMITTED)
    _propose(ctx, bid.id, S.WON, 30000)
    committee = main_of(client_for("committee").get(f"/groupements/{bid.id}").text)
    assert "Résultat proposé : gagnée" in committee and "boamp:26-399" in committee
    assert "/proposition/confirmer" not in committee
    client = client_for("officer")
    page = client.get(f"/groupements/{bid.id}").text
    assert 'name="amount_won" type="text" inputmode="decimal" value="30000.00"' in page
    url = f"/groupements/{bid.id}/proposition/confirmer"
    missing = post(client, url, {"amount_won": "30000"})
    assert missing.status_code == 400 and "Indiquez la part (%) de chaque membre" in missing.text  # type: ignore[attr-defined]
    assert stored(ctx, bid.id).stage is S.SUBMITTED  # type: ignore[attr-defined]
    done = post(client, url, {"amount_won": "30000", f"share-{ESAT}": "70", f"share-{EVE}": "30"})
    assert done.status_code == 303  # type: ignore[attr-defined]
    after = stored(ctx, bid.id)
    assert after.stage is S.WON and after.proposal is None  # type: ignore[attr-defined]
    assert [m.share_percent for m in after.members] == [70, 30]  # type: ignore[attr-defined]
    assert (
        "d&#39;après l&#39;avis d&#39;attribution boamp:26-399"
        in client.get(f"/groupements/{bid.id}").text
    )


def test_a_proposal_is_dismissed(client_for: Clients, ctx: Context) -> None:
    bid = new_bid(ctx, S.SUBMITTED)
    _propose(ctx, bid.id, S.LOST, None)
    client = client_for("staff")
    assert (
        post(client_for("committee"), f"/groupements/{bid.id}/proposition/ecarter").status_code
        == 403
    )  # type: ignore[attr-defined]
    response = post(client, f"/groupements/{bid.id}/proposition/ecarter")
    assert response.status_code == 303  # type: ignore[attr-defined]
    after = stored(ctx, bid.id)
    assert after.proposal is None and after.dismissed_awards == ["boamp:26-399"]  # type: ignore[attr-defined]
    assert after.stage is S.SUBMITTED  # type: ignore[attr-defined]
    assert "Proposition écartée" in client.get(f"/groupements/{bid.id}").text
