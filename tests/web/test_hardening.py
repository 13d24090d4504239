"""Web hardening, checked as a matrix (issue 15): every error page — 404, 405, 422 and 500 from a
deliberately failing route, as a page and under /api/ — is French, carries no stack trace, file
path or exception class, and has every security header; login failures are throttled per client
address too, whatever e-mail each try uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from web_helpers import email_of, post_form

from veilleuse.config.settings import Settings
from veilleuse.web.middleware import CSP

Clients = Callable[[str | None], TestClient]


def _router(prefix: str) -> APIRouter:
    router = APIRouter()

    @router.get(f"{prefix}/panne")
    def boom() -> None:
        raise ZeroDivisionError("division by zero in /srv/veilleuse/secret.py")

    @router.get(f"{prefix}/nombre")
    def number(n: int) -> dict[str, int]:
        return {"n": n}

    return router


@pytest.fixture
def failing(web_app: tuple[FastAPI, Settings], client_for: Clients) -> Iterator[TestClient]:
    app, _ = web_app
    app.include_router(_router("/api/durci"))
    app.include_router(_router("/durci"))
    yield client_for(None)


CASES = [
    ("GET", "/durci/absente", 404),
    ("DELETE", "/durci/nombre?n=1", 405),
    ("GET", "/durci/nombre?n=abc", 422),
    ("GET", "/durci/panne", 500),
    ("GET", "/api/durci/absente", 404),
    ("DELETE", "/api/durci/nombre?n=1", 405),
    ("GET", "/api/durci/nombre?n=abc", 422),
    ("GET", "/api/durci/panne", 500),
]
LEAKS = ("Traceback", 'File "', "ZeroDivisionError", "/srv/", "secret.py", "site-packages")
FRENCH = ("introuvable", "méthode", "invalide", "inattendue")


@pytest.mark.parametrize(("method", "path", "status"), CASES)
def test_every_error_is_french_without_internals_and_with_headers(
    failing: TestClient, method: str, path: str, status: int
) -> None:
    response = failing.request(method, path)
    assert response.status_code == status
    text = response.text
    assert not [leak for leak in LEAKS if leak in text], text
    assert any(word in text.lower() for word in FRENCH), text
    headers = response.headers
    assert headers["content-security-policy"] == CSP
    assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "same-origin"


def test_failures_from_one_address_are_throttled_whatever_the_email(
    client_for: Clients, web_settings: Settings
) -> None:
    client = client_for(None)
    limit = web_settings.web.login_max_failures_per_client
    for i in range(limit):
        tried = post_form(
            client, "/connexion", {"email": f"inconnu{i}@exemple.fr", "password": "x"}, "/connexion"
        )
        assert tried.status_code == 401
    refused = post_form(
        client, "/connexion", {"email": email_of("officer"), "password": "x"}, "/connexion"
    )
    assert refused.status_code == 429 and "Trop de tentatives" in refused.text
    assert int(refused.headers["retry-after"]) > 0
