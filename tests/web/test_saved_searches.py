"""Saved searches `/recherches` and the public unsubscribe link `/alertes/desabonner/{token}`,
with every search and export route × every role (allowed / 403 / login) and the CSRF check."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import ROLES, USERS, csrf_token, post_form

from veilleuse.app.accounts import get_user_by_email
from veilleuse.app.context import Context
from veilleuse.app.saved_searches import (
    AlertFrequency,
    SavedSearch,
    get_search,
    list_searches,
    save_search,
)
from veilleuse.config.settings import Settings

Clients = Callable[[str | None], TestClient]
QUERY = "q=nettoyage&mode=text&dep=59"
_SAVED = re.compile(r"^/recherches#recherche-(\d+)$")


@pytest.fixture
def ctx(web_app: tuple[FastAPI, Settings]) -> Context:
    app, _ = web_app
    context: Context = app.state.ctx
    return context


def user_id(ctx: Context, who: str) -> int:
    return get_user_by_email(ctx, USERS[who][0]).id


def token_of(search: SavedSearch) -> str:
    return search.unsubscribe_url.rsplit("/", 1)[1]


def saved_by(
    ctx: Context, who: str, name: str = "Nettoyage Nord", query: str = QUERY
) -> SavedSearch:
    return save_search(
        ctx, user_id=user_id(ctx, who), name=name, query=query, frequency=AlertFrequency.WEEKLY
    )


# --------------------------------------------------------------------------- the cycle


def test_save_list_edit_delete(client_for: Clients, ctx: Context) -> None:
    client = client_for("officer")
    # the search page's own form carries the view it shows
    page = client.get(f"/recherche?{QUERY}&page=1").text
    stored = html.unescape(re.search(r'name="query" value="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    assert stored == QUERY
    saved = post_form(client, "/recherches", {"name": "  Nettoyage   Nord ", "query": stored,
                                              "frequency": "weekly"}, "/recherche")  # fmt: skip
    assert saved.status_code == 303
    found = _SAVED.match(saved.headers["location"])
    assert found
    search_id = int(found.group(1))
    (search,) = list_searches(ctx, user_id(ctx, "officer"))
    assert (search.id, search.name, search.query_string) == (search_id, "Nettoyage Nord", QUERY)
    assert search.frequency is AlertFrequency.WEEKLY

    listing = client.get("/recherches")
    assert listing.status_code == 200
    text = html.unescape(listing.text)
    assert "Recherche « Nettoyage Nord » enregistrée (chaque semaine)." in text  # flash
    assert f'id="recherche-{search_id}"' in text
    assert "Département : 59 – Nord" in text and "Mots : « nettoyage » (mots exacts)" in text
    assert "Chaque semaine" in text
    assert f'href="/recherche?{QUERY}"' in text
    assert f'href="/recherches/{search_id}"' in text
    assert f'href="/recherches/{search_id}#supprimer"' in text

    form = client.get(f"/recherches/{search_id}")
    assert form.status_code == 200 and 'value="Nettoyage Nord"' in form.text
    edited = post_form(client, f"/recherches/{search_id}", {"name": "Nord propre",
                                                           "frequency": "daily"}, f"/recherches/{search_id}")  # fmt: skip
    assert edited.status_code == 303
    search = get_search(ctx, search_id, user_id(ctx, "officer"))
    assert (search.name, search.frequency) == ("Nord propre", AlertFrequency.DAILY)
    assert search.query_string == QUERY  # the criteria did not move
    assert "Chaque jour" in client.get("/recherches").text

    refused = post_form(client, f"/recherches/{search_id}", {"name": "   ", "frequency": "none"})
    assert refused.status_code == 400
    assert "Nom de la recherche : il est obligatoire." in html.unescape(refused.text)
    unchanged = get_search(ctx, search_id, user_id(ctx, "officer"))
    assert (unchanged.name, unchanged.frequency) == ("Nord propre", AlertFrequency.DAILY)
    bad_frequency = post_form(
        client, f"/recherches/{search_id}", {"name": "X", "frequency": "hourly"}
    )
    assert bad_frequency.status_code == 400
    assert get_search(ctx, search_id, user_id(ctx, "officer")).name == "Nord propre"

    deleted = post_form(
        client, f"/recherches/{search_id}/supprimer", {}, f"/recherches/{search_id}"
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/recherches"
    assert list_searches(ctx, user_id(ctx, "officer")) == []
    assert "supprimée" in html.unescape(client.get("/recherches").text)
    assert client.get(f"/recherches/{search_id}").status_code == 404


def test_a_bad_query_is_not_saved_and_the_page_says_why(client_for: Clients, ctx: Context) -> None:
    client = client_for("staff")
    response = post_form(
        client, "/recherches", {"name": "Faux", "query": "dep=999", "frequency": "none"}
    )
    assert response.status_code == 303 and response.headers["location"] == "/recherche?dep=999"
    assert list_searches(ctx, user_id(ctx, "staff")) == []
    page = client.get(response.headers["location"])
    assert page.status_code == 400
    text = html.unescape(page.text)
    assert "La recherche n'a pas été enregistrée." in text
    assert "« 999 » n'est pas un code de département" in text


def test_the_list_shows_only_the_users_own_searches(client_for: Clients, ctx: Context) -> None:
    saved_by(ctx, "officer", "Celle de l'officer")
    saved_by(ctx, "staff", "Celle du staff")
    page = html.unescape(client_for("staff").get("/recherches").text)
    assert "Celle du staff" in page and "Celle de l'officer" not in page


def test_another_users_search_is_not_found(client_for: Clients, ctx: Context) -> None:
    mine = saved_by(ctx, "officer")
    for who in ("staff", "officer_mel", "admin"):
        client = client_for(who)
        assert client.get(f"/recherches/{mine.id}").status_code == 404, who
        edit = post_form(client, f"/recherches/{mine.id}", {"name": "Pris", "frequency": "none"})
        assert edit.status_code == 404, who
        assert post_form(client, f"/recherches/{mine.id}/supprimer").status_code == 404, who
    still = get_search(ctx, mine.id, user_id(ctx, "officer"))
    assert (still.name, still.frequency) == (mine.name, AlertFrequency.WEEKLY)


# --------------------------------------------------------------------------- unsubscribe


def test_unsubscribe_by_token_without_login(client_for: Clients, ctx: Context) -> None:
    search = saved_by(ctx, "officer")
    path = f"/alertes/desabonner/{token_of(search)}"
    visitor = client_for(None)
    shown = visitor.get(path)
    assert shown.status_code == 200
    assert "« Nettoyage Nord »" in html.unescape(shown.text)
    # opening the link (a mail scanner does) stops nothing
    assert get_search(ctx, search.id, search.user_id).frequency is AlertFrequency.WEEKLY
    done = visitor.post(path, data={"csrf_token": csrf_token(visitor, path)})
    assert done.status_code == 200
    assert "Vous ne recevrez plus d'alerte pour la recherche « Nettoyage Nord »." in html.unescape(
        done.text
    )
    kept = get_search(ctx, search.id, search.user_id)
    assert kept.frequency is AlertFrequency.NONE and kept.query_string == QUERY
    again = visitor.post(path, data={"csrf_token": csrf_token(visitor, path)})
    assert again.status_code == 200  # twice is harmless


def test_an_unknown_token_is_a_french_404_page(client_for: Clients, ctx: Context) -> None:
    visitor = client_for(None)
    page = visitor.get("/alertes/desabonner/pas-un-jeton")
    assert page.status_code == 404
    assert "Lien de désabonnement inconnu" in page.text
    token = csrf_token(visitor, "/connexion")
    assert (
        visitor.post("/alertes/desabonner/pas-un-jeton", data={"csrf_token": token}).status_code
        == 404
    )
    # a deleted search's link is unknown too
    search = saved_by(ctx, "staff")
    client = client_for("staff")
    assert post_form(client, f"/recherches/{search.id}/supprimer").status_code == 303
    assert visitor.get(f"/alertes/desabonner/{token_of(search)}").status_code == 404


def test_one_click_unsubscribe_from_a_mail_client(client_for: Clients, ctx: Context) -> None:
    search = saved_by(ctx, "officer")
    response = client_for(None).post(
        f"/alertes/desabonner/{token_of(search)}", data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert get_search(ctx, search.id, search.user_id).frequency is AlertFrequency.NONE


# --------------------------------------------------------------------------- CSRF, roles


def test_without_csrf_token_nothing_changes(client_for: Clients, ctx: Context) -> None:
    search = saved_by(ctx, "officer")
    client = client_for("officer")
    attempts = [
        ("/recherches", {"name": "Sans jeton", "query": QUERY, "frequency": "daily"}),
        (f"/recherches/{search.id}", {"name": "Renommée", "frequency": "none"}),
        (f"/recherches/{search.id}/supprimer", {}),
    ]  # the unsubscribe link's own token is its credential (one-click, no session): see below
    for path, form in attempts:
        assert client.post(path, data=form).status_code == 403, path
        assert client.post(path, data={**form, "csrf_token": "faux"}).status_code == 403, path
    (still,) = list_searches(ctx, user_id(ctx, "officer"))
    assert (still.id, still.name, still.frequency) == (
        search.id,
        search.name,
        AlertFrequency.WEEKLY,
    )


SEARCHERS = {"admin", "officer", "staff", "committee"}
SAVERS = {"admin", "officer", "staff"}
#: (method, path, form, roles allowed, status when allowed)
ROUTES: list[tuple[str, str, dict[str, str], set[str], int]] = [
    ("GET", "/recherche", {}, SEARCHERS, 200),
    ("GET", "/recherche?dep=999", {}, SEARCHERS, 400),
    ("GET", "/recherche/export.csv", {}, SEARCHERS, 200),
    ("GET", "/recherche/export.xlsx", {}, SEARCHERS, 200),
    ("GET", "/recherches", {}, SAVERS, 200),
    ("POST", "/recherches", {"name": "Essai", "query": "dep=59", "frequency": "none"}, SAVERS, 303),
    ("GET", "/recherches/999999", {}, SAVERS, 404),
    ("POST", "/recherches/999999", {"name": "Essai", "frequency": "none"}, SAVERS, 404),
    ("POST", "/recherches/999999/supprimer", {}, SAVERS, 404),
]  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(client_for: Clients, ctx: Context, role: str) -> None:
    client = client_for(role)
    outcomes = {}
    for method, path, form, allowed, status in ROUTES:
        expected = status if role in allowed else 403
        if method == "GET":
            got = client.get(path).status_code
        else:
            got = client.post(path, data={**form, "csrf_token": csrf_token(client)}).status_code
        outcomes[(method, path)] = (got, expected)
    # the unsubscribe link is public: the same answer for every role
    outcomes[("GET", "unsubscribe")] = (client.get("/alertes/desabonner/inconnu").status_code, 404)
    wrong = {route: got for route, got in outcomes.items() if got[0] != got[1]}
    assert not wrong, f"{role}: (got, expected) {wrong}"
    saved = list_searches(ctx, user_id(ctx, role))
    assert len(saved) == (1 if role in SAVERS else 0)


def test_every_route_sends_an_anonymous_visitor_to_login(client_for: Clients) -> None:
    client = client_for(None)
    for method, path, form, _, _ in ROUTES:
        if method == "GET":
            response = client.get(path)
        else:
            token = csrf_token(client, "/connexion")
            response = client.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/connexion"), (method, path)


def test_navigation_links_to_the_saved_searches(client_for: Clients) -> None:
    officer = client_for("officer").get("/recherches").text
    assert 'href="/recherches" aria-current="page">Mes recherches</a>' in officer
    assert 'href="/recherche">Recherche</a>' in officer
    committee = client_for("committee").get("/recherche").text
    assert 'href="/recherches"' not in committee
