"""The application shell: errors as French pages or problem+json, security headers, CSRF,
autoescaping, session cookies, the session key file, route discovery."""

from __future__ import annotations

import re
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from web_helpers import PASSWORD, csrf_token, email_of, login, post_form

from veilleuse.config.settings import Settings
from veilleuse.core.accounts import Permission
from veilleuse.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    RecordsError,
    ValidationError,
)
from veilleuse.web.app import create_app, include_routes
from veilleuse.web.deps import CurrentUser
from veilleuse.web.middleware import CSP
from veilleuse.web.templating import NavItem

Clients = Callable[[str | None], TestClient]
WEB = Path(__file__).resolve().parents[2] / "src" / "veilleuse" / "web"


def failing_router(prefix: str) -> APIRouter:
    router = APIRouter()

    @router.get(f"{prefix}/introuvable")
    def not_found() -> None:
        raise NotFoundError("aucun avis « boamp:1 »")

    @router.get(f"{prefix}/interdit")
    def forbidden() -> None:
        raise PermissionDeniedError("réservé à la veille")

    @router.get(f"{prefix}/invalide")
    def invalid() -> None:
        raise ValidationError("date invalide : 31/02")

    @router.get(f"{prefix}/panne")
    def boom() -> None:
        raise RuntimeError("secret internals at /srv/veilleuse")

    @router.get(f"{prefix}/base")
    def records() -> None:
        raise RecordsError("records database sqlite:///srv/secret.sqlite3: locked")

    @router.get(f"{prefix}/connecte")
    def signed_in(user: CurrentUser) -> dict[str, str]:
        return {"email": user.email}

    @router.get(f"{prefix}/nombre")
    def number(n: int) -> dict[str, int]:
        return {"n": n}

    return router


@pytest.fixture
def failing(web_app: tuple[FastAPI, Settings], client_for: Clients) -> Iterator[TestClient]:
    app, _ = web_app
    app.include_router(failing_router("/api/essai"))
    app.include_router(failing_router("/essai"))
    yield client_for(None)


@pytest.mark.parametrize(
    ("path", "status", "detail"),
    [
        ("introuvable", 404, "aucun avis « boamp:1 »"),
        ("interdit", 403, "réservé à la veille"),
        ("invalide", 422, "date invalide : 31/02"),
        ("nombre?n=abc", 422, "Paramètres invalides."),
    ],
)
def test_api_errors_are_problem_details(
    failing: TestClient, path: str, status: int, detail: str
) -> None:
    response = failing.get(f"/api/essai/{path}")
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"] == detail
    assert body["type"].startswith("urn:veilleuse:problem:") and body["title"]


def test_api_needs_a_login_and_says_so_in_json(failing: TestClient) -> None:
    response = failing.get("/api/essai/connecte")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    unknown = failing.get("/api/rien")
    assert unknown.status_code == 404 and unknown.json()["title"] == "Page introuvable"


@pytest.mark.parametrize("prefix", ["/api/essai", "/essai"])
@pytest.mark.parametrize("path", ["panne", "base"])
def test_unexpected_errors_hide_their_internals(
    failing: TestClient, prefix: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = failing.get(f"{prefix}/{path}")
    assert response.status_code == 500
    assert "secret" not in response.text and "Traceback" not in response.text
    assert "Une erreur inattendue" in response.text
    assert response.headers["x-frame-options"] == "DENY"
    reference = re.search(r"référence ([0-9a-f]{8})", response.text)
    assert reference and reference.group(1) in caplog.text  # logged, with the traceback
    if prefix == "/api/essai":
        assert response.headers["content-type"] == "application/problem+json"
    else:
        assert response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "status", "title"),
    [
        ("/essai/introuvable", 404, "Page introuvable"),
        ("/essai/interdit", 403, "Accès refusé"),
        ("/essai/invalide", 422, "Données invalides"),
        ("/essai/nombre?n=abc", 422, "Données invalides"),
        ("/nulle-part", 404, "Page introuvable"),
    ],
)
def test_page_errors_are_french_pages(
    failing: TestClient, path: str, status: int, title: str
) -> None:
    response = failing.get(path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in response.text and '<html lang="fr">' in response.text


def test_an_unknown_page_keeps_the_signed_in_header(client_for: Clients) -> None:
    page = client_for("officer").get("/nulle-part")
    assert page.status_code == 404 and "Se déconnecter" in page.text


def test_security_headers_on_every_kind_of_response(client_for: Clients) -> None:
    client = client_for("officer")
    for path in ("/compte/mot-de-passe", "/static/veilleuse.css", "/nulle-part", "/", "/sante"):
        response = client.get(path)
        assert response.headers["content-security-policy"] == CSP, path
        assert "default-src 'self'" in CSP and "unsafe-inline" not in CSP
        assert response.headers["x-frame-options"] == "DENY", path
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "same-origin", path
        assert "strict-transport-security" not in response.headers  # http base URL
    assert client.get("/compte/mot-de-passe").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/veilleuse.css").headers.get("cache-control", "")


def test_no_inline_script_or_style_and_nothing_from_another_site() -> None:
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("static/*")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert " style=" not in text and "<style" not in text, path
        assert not re.search(r"(src|href)=\"(https?:)?//", text), path


def test_api_docs_pages_are_not_served(client_for: Clients) -> None:
    client = client_for(None)
    assert client.get("/docs").status_code == 404
    assert client.get("/redoc").status_code == 404


# --------------------------------------------------------------------------- CSRF


def test_a_form_without_or_with_a_wrong_csrf_token_changes_nothing(client_for: Clients) -> None:
    client = client_for("officer")
    missing = client.post("/compte/jetons", data={"name": "sans jeton"})
    wrong = client.post("/compte/jetons", data={"name": "faux", "csrf_token": "x" * 43})
    for response in (missing, wrong):
        assert response.status_code == 403
        assert "Ce formulaire a expiré ou ne vient pas de ce site" in response.text
    assert "Aucun jeton pour l'instant." in client.get("/compte/jetons").text
    admin = client_for("admin")
    created = admin.post(
        "/admin/utilisateurs",
        data={"email": "pirate@valenciennes.test", "role": "admin", "password": PASSWORD},
    )
    assert created.status_code == 403
    assert "pirate@valenciennes.test" not in admin.get("/admin/utilisateurs").text


def test_a_token_from_another_session_is_refused(client_for: Clients) -> None:
    victim, attacker = client_for("officer"), client_for("staff")
    stolen = csrf_token(attacker)
    response = victim.post("/compte/jetons", data={"name": "x", "csrf_token": stolen})
    assert response.status_code == 403


def test_the_csrf_header_is_accepted(client_for: Clients) -> None:
    client = client_for("officer")
    response = client.post(
        "/compte/jetons", data={"name": "script"}, headers={"X-CSRF-Token": csrf_token(client)}
    )
    assert response.status_code == 201


def test_login_itself_needs_the_csrf_token(client_for: Clients) -> None:
    client = client_for(None)
    client.get("/connexion")
    response = client.post("/connexion", data={"email": email_of("officer"), "password": PASSWORD})
    assert response.status_code == 403
    assert client.get("/compte/mot-de-passe").status_code == 303


# --------------------------------------------------------------------------- escaping, cookies


def test_names_are_escaped(client_for: Clients) -> None:
    admin = client_for("admin")
    created = post_form(
        admin,
        "/admin/utilisateurs",
        {
            "email": "xss@valenciennes.test",
            "name": "<script>alert(1)</script>",
            "role": "staff",
            "territory": "valenciennes",
            "password": PASSWORD,
        },
    )
    assert created.status_code == 303
    page = admin.get("/admin/utilisateurs").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page
    xss = client_for("xss@valenciennes.test").get("/compte/mot-de-passe").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xss and "<script" not in xss


def test_session_cookie_flags(client_for: Clients) -> None:
    cookie = login(client_for(None), "officer").headers["set-cookie"].lower()
    assert "veilleuse_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie


def test_https_base_url_makes_cookies_secure_and_adds_hsts(web_settings: Settings) -> None:
    settings = web_settings.model_copy(
        update={"web": web_settings.web.model_copy(update={"base_url": "https://veille.test"})}
    )
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        response = login(client, "officer")
        assert "secure" in response.headers["set-cookie"].lower()
        assert response.headers["strict-transport-security"].startswith("max-age=")


def test_the_session_key_file_is_private(web_app: tuple[FastAPI, Settings]) -> None:
    _, settings = web_app
    path = settings.web_secret_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(path.read_text().strip()) >= 32


# --------------------------------------------------------------------------- route discovery


def test_route_modules_are_discovered_with_their_navigation(
    web_app: tuple[FastAPI, Settings],
    client_for: Clients,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    package = tmp_path / "extra_pages"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "reports.py").write_text(
        "from fastapi import APIRouter\n"
        "from veilleuse.core.accounts import Permission\n"
        "from veilleuse.web.templating import NavItem\n"
        "router = APIRouter()\n"
        "NAVIGATION = [NavItem('Essai', '/essai-rapports', Permission.REPORTS_VIEW, order=60)]\n"
        "@router.get('/essai-rapports')\n"
        "def reports() -> dict[str, str]:\n"
        "    return {'page': 'pilotage'}\n"
    )
    (package / "helpers.py").write_text("X = 1\n")  # no router: skipped
    monkeypatch.syspath_prepend(str(tmp_path))
    app, _ = web_app
    assert include_routes(app, "extra_pages") == ["extra_pages.reports"]
    assert include_routes(app, "no_such_package_here") == []
    assert NavItem("Essai", "/essai-rapports", Permission.REPORTS_VIEW, 60) in app.state.navigation
    assert client_for(None).get("/essai-rapports").json() == {"page": "pilotage"}
    assert 'href="/essai-rapports"' in client_for("committee").get("/compte/mot-de-passe").text
    assert 'href="/essai-rapports"' not in client_for("actor").get("/mon-espace").text
    sys.modules.pop("extra_pages.reports", None)
    sys.modules.pop("extra_pages", None)
