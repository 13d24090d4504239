"""The account pages: password change form and personal API tokens."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, post_form

from veilleuse.app.api_tokens import user_for_token
from veilleuse.config.settings import Settings

Clients = Callable[[str | None], TestClient]


def test_password_form_errors_are_shown_in_french(client_for: Clients) -> None:
    client = client_for("staff")
    page = client.get("/compte/mot-de-passe").text
    for label in ("Mot de passe actuel", "Nouveau mot de passe", "Nouveau mot de passe, à nouveau"):
        assert f">{label}</label>" in page
    differ = post_form(
        client, "/compte/mot-de-passe", {"current": PASSWORD, "new": "a" * 12, "confirm": "b" * 12}
    )
    assert differ.status_code == 422 and "Les deux saisies" in differ.text
    short = post_form(
        client, "/compte/mot-de-passe", {"current": PASSWORD, "new": "court", "confirm": "court"}
    )
    assert short.status_code == 422 and "au moins 12 caractères" in short.text
    wrong = post_form(
        client, "/compte/mot-de-passe", {"current": "faux", "new": "x" * 12, "confirm": "x" * 12}
    )
    assert wrong.status_code == 400 and "Le mot de passe actuel est incorrect." in wrong.text


def test_a_token_is_shown_once_then_listed_and_revoked(
    web_app: tuple[FastAPI, Settings], client_for: Clients
) -> None:
    app, _ = web_app
    client = client_for("officer")
    created = post_form(client, "/compte/jetons", {"name": "tableur du réseau"})
    assert created.status_code == 201
    assert "il ne sera plus jamais affiché" in created.text
    clear = created.text.split('id="new-token-value"')[1].split('value="')[1].split('"')[0]
    assert clear.startswith("vl_")
    assert user_for_token(app.state.ctx, clear).email == "officer@valenciennes.test"
    listing = client.get("/compte/jetons").text
    assert clear not in listing and clear[:10] in listing and "tableur du réseau" in listing
    token_id = listing.split("/compte/jetons/")[1].split("/revoquer")[0]
    revoked = post_form(client, f"/compte/jetons/{token_id}/revoquer")
    assert revoked.status_code == 303
    after = client.get("/compte/jetons").text
    assert "Jeton révoqué" in after and "révoqué le" in after
    assert "/revoquer" not in after


def test_another_users_token_cannot_be_revoked(client_for: Clients) -> None:
    owner, other = client_for("officer"), client_for("staff")
    post_form(owner, "/compte/jetons", {"name": "à moi"})
    token_id = owner.get("/compte/jetons").text.split("/compte/jetons/")[1].split("/")[0]
    assert post_form(other, f"/compte/jetons/{token_id}/revoquer").status_code == 404
    assert "/revoquer" in owner.get("/compte/jetons").text  # still active


def test_a_token_needs_a_name(client_for: Clients) -> None:
    response = post_form(client_for("officer"), "/compte/jetons", {"name": "  "})
    assert response.status_code == 422 and "Donnez au jeton un nom" in response.text


def test_admin_form_errors_keep_the_values(client_for: Clients) -> None:
    admin = client_for("admin")
    response = post_form(
        admin,
        "/admin/utilisateurs",
        {"email": "n@valenciennes.test", "name": "Nadia", "role": "officer", "password": PASSWORD},
    )
    assert response.status_code == 422
    assert "doit être rattaché à un territoire" in response.text
    assert 'value="Nadia"' in response.text
    assert '<option value="officer" selected>' in response.text
