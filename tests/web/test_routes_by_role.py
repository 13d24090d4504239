"""Every route of the accounts shell × every role: allowed, 403, or sent to the login form."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from web_helpers import ROLES, csrf_token

Clients = Callable[[str | None], TestClient]
EVERYONE = set(ROLES)
TOKEN_ROLES = {"admin", "officer", "staff"}

#: (method, path, form, roles allowed, status when allowed)
ROUTES: list[tuple[str, str, dict[str, str], set[str], int]] = [
    ("GET", "/", {}, EVERYONE, 303),
    ("GET", "/mon-espace", {}, {"actor"}, 200),
    ("GET", "/compte/mot-de-passe", {}, EVERYONE, 200),
    ("POST", "/compte/mot-de-passe", {"current": "faux", "new": "x", "confirm": "x"}, EVERYONE, 400),
    ("GET", "/compte/jetons", {}, TOKEN_ROLES, 200),
    ("POST", "/compte/jetons", {"name": "essai"}, TOKEN_ROLES, 201),
    ("POST", "/compte/jetons/999999/revoquer", {}, TOKEN_ROLES, 404),
    ("GET", "/admin/utilisateurs", {}, {"admin"}, 200),
    (
        "POST",
        "/admin/utilisateurs",
        {"email": "new@valenciennes.test", "role": "staff", "territory": "valenciennes",
         "password": "un mot de passe solide"},
        {"admin"},
        303,
    ),
    ("POST", "/admin/utilisateurs/999999/desactiver", {}, {"admin"}, 404),
    ("POST", "/deconnexion", {}, EVERYONE, 303),
]  # fmt: skip


def call(client: TestClient, method: str, path: str, form: dict[str, str]) -> int:
    if method == "GET":
        return client.get(path).status_code
    token = csrf_token(client)
    return client.post(path, data={**form, "csrf_token": token}).status_code


@pytest.mark.parametrize("role", ROLES)
def test_every_route_for_every_role(client_for: Clients, role: str) -> None:
    outcomes = {}
    for method, path, form, allowed, status in ROUTES:
        client = client_for(role)  # a fresh session each time (logout, password change)
        expected = status if role in allowed else 403
        outcomes[(method, path)] = (call(client, method, path, form), expected)
    wrong = {route: got for route, got in outcomes.items() if got[0] != got[1]}
    assert not wrong, f"{role}: (got, expected) {wrong}"


def test_every_route_sends_an_anonymous_visitor_to_login(client_for: Clients) -> None:
    client = client_for(None)
    for method, path, form, _, _ in ROUTES:
        if path == "/deconnexion":
            continue
        token = csrf_token(client, "/connexion")
        if method == "GET":
            response = client.get(path)
        else:
            response = client.post(path, data={**form, "csrf_token": token})
        assert response.status_code == 303, (method, path)
        assert response.headers["location"].startswith("/connexion"), (method, path)


def test_open_routes_need_no_login(client_for: Clients) -> None:
    client = client_for(None)
    health = client.get("/sante")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert client.get("/connexion").status_code == 200
    assert client.get("/static/veilleuse.css").status_code == 200


def test_navigation_shows_what_the_role_may_open(client_for: Clients) -> None:
    admin = client_for("admin").get("/compte/mot-de-passe").text
    assert 'href="/admin/utilisateurs"' in admin and 'href="/compte/jetons"' in admin
    assert 'href="/mon-espace"' not in admin
    committee = client_for("committee").get("/compte/mot-de-passe").text
    assert 'href="/admin/utilisateurs"' not in committee
    assert 'href="/compte/jetons"' not in committee
    actor = client_for("actor").get("/mon-espace").text
    assert '<a href="/mon-espace" aria-current="page">Mon espace</a>' in actor
    assert "ESAT Les Jardins de l&#39;Escaut" in actor
