"""Tokens: missing, malformed, unknown, revoked, of a disabled account, of a role without API
access (401 with WWW-Authenticate); permissions from the pages' table (403); /me."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from api_helpers import assert_problem, make_token
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_helpers import USERS, email_of

from veilleuse.app import accounts, api_tokens
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import ROLE_PERMISSIONS, Permission, Role
from veilleuse.core.errors import PermissionDeniedError
from veilleuse.records import accounts as account_records

ApiClients = Callable[[str], TestClient]


def unauthorised(response: object) -> None:
    body = assert_problem(response, 401)  # type: ignore[arg-type]
    assert response.headers["www-authenticate"].startswith("Bearer")  # type: ignore[attr-defined]
    assert body["type"] == "urn:veilleuse:problem:authentication"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Basic dXNlcjpwYXNz",
        "Bearer vl_inconnu",
        "Bearer pas-un-jeton",
        "Bearer vl_" + "x" * 300,
    ],
)
def test_a_missing_or_bad_token_is_401_with_www_authenticate(
    anonymous: TestClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    for path in ("/api/v1/me", "/api/v1/notices", "/api/v1/actors", "/api/v1/changes"):
        unauthorised(anonymous.get(path, headers=headers))


def test_a_session_cookie_is_not_an_api_login(
    client_for: Callable[[str | None], TestClient],
) -> None:
    browser = client_for("officer")  # signed in on the site
    unauthorised(browser.get("/api/v1/me"))


def test_a_revoked_token_stops_working(web_app: tuple[FastAPI, Settings]) -> None:
    app, _ = web_app
    ctx: Context = app.state.ctx
    user = accounts.get_user_by_email(ctx, email_of("officer"))
    token, clear = api_tokens.create_token(ctx, user, "à révoquer")
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {clear}"
    assert client.get("/api/v1/me").status_code == 200
    api_tokens.revoke_token(ctx, user, token.id)
    unauthorised(client.get("/api/v1/me"))


def test_a_disabled_account_stops_working(web_app: tuple[FastAPI, Settings]) -> None:
    app, _ = web_app
    ctx: Context = app.state.ctx
    client = TestClient(app, raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {make_token(ctx, 'staff')}"
    assert client.get("/api/v1/me").status_code == 200
    accounts.disable_user(ctx, accounts.get_user_by_email(ctx, email_of("staff")).id)
    unauthorised(client.get("/api/v1/me"))


@pytest.mark.parametrize("who", ["committee", "actor"])
def test_roles_without_api_tokens_get_no_api_access(
    web_app: tuple[FastAPI, Settings], who: str
) -> None:
    """The table gives `api_tokens` to admin, officer and staff only: the committee and actor
    accounts cannot create a token, and a token stored for them anyway is refused."""
    app, _ = web_app
    ctx: Context = app.state.ctx
    user = accounts.get_user_by_email(ctx, email_of(who))
    with pytest.raises(PermissionDeniedError):
        api_tokens.create_token(ctx, user, "interdit")
    clear = "vl_" + who * 8
    account_records.create_token(
        ctx.records, user.id, "posé à la main", api_tokens._digest(clear), clear[:10]
    )
    client = TestClient(app, raise_server_exceptions=False)
    unauthorised(client.get("/api/v1/me", headers={"Authorization": f"Bearer {clear}"}))


def test_permissions_come_from_the_pages_table(
    api_client: ApiClients, ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A role whose table entry lacks a permission gets 403 on the routes that need it (every
    role that may hold a token has them all today: the table is narrowed for the test)."""
    staff = api_client("staff")
    assert staff.get("/api/v1/notices").status_code == 200
    assert staff.get("/api/v1/actors/esat-jardins-escaut/matches").status_code == 200
    narrowed = ROLE_PERMISSIONS[Role.STAFF] - {
        Permission.SEARCH,
        Permission.ACTORS_VIEW,
        Permission.NOTICE_VIEW_MATCHES,
    }
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.STAFF, narrowed)
    for path in (
        "/api/v1/notices",
        "/api/v1/facets",
        "/api/v1/changes?updated_since=2020-01-01",
        "/api/v1/notices/boamp:26-001",
        "/api/v1/actors",
        "/api/v1/actors/esat-jardins-escaut",
        "/api/v1/actors/esat-jardins-escaut/matches",
    ):
        body = assert_problem(staff.get(path), 403)
        assert "équipe du réseau" in body["detail"], path
    # another territory's actor stays a 404, not a 403: its existence does not show
    assert_problem(staff.get("/api/v1/actors/ea-proprete-solidaire-lille/matches"), 404)


@pytest.mark.parametrize("who", ["admin", "officer", "staff", "officer_mel"])
def test_me_says_who_the_token_belongs_to(api_client: ApiClients, who: str) -> None:
    response = api_client(who).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    email, role, territory, actor = USERS[who]
    assert (body["email"], body["role"], body["actor_id"]) == (email, role.value, actor)
    assert (body["territory"] or {}).get("id") == territory
    assert body["role_label"] == Role(role).label
    assert "search" in body["permissions"]
    assert ("users.manage" in body["permissions"]) == (who == "admin")
