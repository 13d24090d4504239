"""Signing in and out, throttling, and when a session stops being valid."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, csrf_token, email_of, login, post_form

Clients = Callable[[str | None], TestClient]


def test_login_redirects_home_then_to_the_role_first_page(client_for: Clients) -> None:
    client = client_for(None)
    response = login(client, "officer")
    assert response.headers["location"] == "/"
    assert client.get("/").headers["location"] == "/recherche"
    actor = client_for("actor")
    assert actor.get("/").headers["location"] == "/mon-espace"
    assert actor.get("/mon-espace").status_code == 200


def test_a_page_without_session_sends_to_the_login_form_and_back(client_for: Clients) -> None:
    client = client_for(None)
    response = client.get("/compte/jetons?tri=nom")
    assert response.status_code == 303
    assert response.headers["location"] == "/connexion?suivant=/compte/jetons%3Ftri%3Dnom"
    page = client.get(response.headers["location"])
    assert 'name="suivant" value="/compte/jetons?tri=nom"' in page.text
    back = post_form(
        client,
        "/connexion",
        {"email": email_of("officer"), "password": PASSWORD, "suivant": "/compte/jetons?tri=nom"},
        "/connexion",
    )
    assert back.headers["location"] == "/compte/jetons?tri=nom"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_login_never_redirects_off_site(client_for: Clients, target: str) -> None:
    client = client_for(None)
    response = post_form(
        client,
        "/connexion",
        {"email": email_of("staff"), "password": PASSWORD, "suivant": target},
        "/connexion",
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_wrong_password_is_refused_in_french_without_a_session(client_for: Clients) -> None:
    client = client_for(None)
    response = post_form(
        client, "/connexion", {"email": email_of("officer"), "password": "faux"}, "/connexion"
    )
    assert response.status_code == 401
    assert "Adresse e-mail ou mot de passe incorrect." in response.text
    assert f'value="{email_of("officer")}"' in response.text  # kept in the form
    assert client.get("/compte/mot-de-passe").status_code == 303


def test_five_failures_lock_the_account_even_with_the_right_password(client_for: Clients) -> None:
    client = client_for(None)
    for _ in range(5):
        wrong = post_form(
            client, "/connexion", {"email": email_of("staff"), "password": "faux"}, "/connexion"
        )
        assert wrong.status_code == 401
    refused = post_form(
        client, "/connexion", {"email": email_of("staff"), "password": PASSWORD}, "/connexion"
    )
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert "Trop de tentatives de connexion échouées. Réessayez dans 15 minutes." in refused.text
    # another account from the same address is not locked by these five
    login(client_for(None), "officer")


def test_logout_ends_the_session(client_for: Clients) -> None:
    client = client_for("officer")
    assert client.get("/compte/mot-de-passe").status_code == 200
    response = post_form(client, "/deconnexion")
    assert response.status_code == 303 and response.headers["location"] == "/connexion"
    assert "Vous êtes déconnecté·e." in client.get("/connexion").text
    assert client.get("/compte/mot-de-passe").status_code == 303


def test_login_regenerates_the_session(client_for: Clients) -> None:
    client = client_for(None)
    before = csrf_token(client, "/connexion")
    login(client, "officer")
    assert csrf_token(client) != before


def test_a_password_change_ends_every_other_session(client_for: Clients) -> None:
    here, elsewhere = client_for("officer"), client_for("officer")
    new = "un tout nouveau mot de passe"
    changed = post_form(
        here, "/compte/mot-de-passe", {"current": PASSWORD, "new": new, "confirm": new}
    )
    assert changed.status_code == 303
    assert "Mot de passe changé" in here.get("/compte/mot-de-passe").text
    assert here.get("/compte/jetons").status_code == 200  # this session goes on
    refused = elsewhere.get("/compte/jetons")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/connexion")
    assert "Le mot de passe de ce compte a changé" in elsewhere.get("/connexion").text
    login(client_for(None), "officer", new)


def test_a_disabled_user_is_logged_out(client_for: Clients) -> None:
    admin, staff = client_for("admin"), client_for("staff")
    page = admin.get("/admin/utilisateurs").text
    user_id = page.split(f"{email_of('staff')}</td>")[1].split("/admin/utilisateurs/")[1]
    user_id = user_id.split("/")[0]
    done = post_form(admin, f"/admin/utilisateurs/{user_id}/desactiver")
    assert done.status_code == 303
    assert staff.get("/compte/mot-de-passe").status_code == 303
    assert "Ce compte est désactivé" in staff.get("/connexion").text
    refused = post_form(
        staff, "/connexion", {"email": email_of("staff"), "password": PASSWORD}, "/connexion"
    )
    assert refused.status_code == 401 and "désactivé" in refused.text


def test_a_session_older_than_its_max_age_is_refused(
    client_for: Clients, monkeypatch: pytest.MonkeyPatch
) -> None:
    import veilleuse.web.deps as deps

    client = client_for("committee")
    later = deps.clock() + 12 * 3600 + 5
    monkeypatch.setattr(deps, "clock", lambda: later)
    assert client.get("/compte/mot-de-passe").status_code == 303
    assert "Votre session a expiré" in client.get("/connexion").text
