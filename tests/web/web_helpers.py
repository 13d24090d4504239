"""Helpers for web tests (import them: `from web_helpers import login, post_form, USERS`).

Accounts created by the `web_app` fixture (tests/web/conftest.py), all with `PASSWORD`:
one per role on the `valenciennes` demo territory, plus `officer_mel` on `mel`.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi.testclient import TestClient

from veilleuse.app import territories
from veilleuse.app.actors import ensure_demo_actors, list_actors
from veilleuse.app.context import Context
from veilleuse.core.accounts import Role

PASSWORD = "mot de passe des tests 2026"
FAST_HASHING = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}
#: the demo actor the `actor` account is linked to (an ESAT in Valenciennes)
ACTOR_ID = "esat-jardins-escaut"

#: key → (e-mail, role, territory, actor)
USERS: dict[str, tuple[str, Role, str | None, str | None]] = {
    "admin": ("admin@valenciennes.test", Role.ADMIN, None, None),
    "officer": ("officer@valenciennes.test", Role.OFFICER, "valenciennes", None),
    "staff": ("staff@valenciennes.test", Role.STAFF, "valenciennes", None),
    "committee": ("committee@valenciennes.test", Role.COMMITTEE, "valenciennes", None),
    "actor": ("actor@valenciennes.test", Role.ACTOR, "valenciennes", ACTOR_ID),
    "officer_mel": ("officer@mel.test", Role.OFFICER, "mel", None),
}
ROLES = ("admin", "officer", "staff", "committee", "actor")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def email_of(who: str) -> str:
    return USERS[who][0] if who in USERS else who


def csrf_token(client: TestClient, page: str | None = None) -> str:
    """The session's CSRF token, read from a page's form (as a browser would)."""
    for path in [page] if page else ["/compte/mot-de-passe", "/connexion"]:
        response = client.get(path, follow_redirects=False)
        found = _CSRF.search(response.text)
        if found:
            return found.group(1)
    raise AssertionError(f"no CSRF token in {page or 'the password or login page'}")


def post_form(
    client: TestClient, path: str, data: dict[str, Any] | None = None, page: str | None = None
) -> httpx.Response:
    """POST a form with the session's CSRF token (taken from `page`, or a default page)."""
    return client.post(
        path, data={**(data or {}), "csrf_token": csrf_token(client, page)}, follow_redirects=False
    )


def login(client: TestClient, who: str, password: str = PASSWORD) -> httpx.Response:
    """Log `client` in as a USERS key (e.g. "officer") or an e-mail; asserts success."""
    response = post_form(
        client, "/connexion", {"email": email_of(who), "password": password}, "/connexion"
    )
    assert response.status_code == 303, (who, response.status_code, response.text[:500])
    return response


def seed_test_territories(ctx: Context) -> None:
    """The demo actors and territories, placed as the demo places them (17 constructed actors in
    Valenciennes Métropole and the MEL), then the 16 real SIAE of the samples — outside both
    territories, so the demo leaves them to the administrator — followed by the tests' network
    as Valenciennes': the pages' tests then have real structures to show."""
    ensure_demo_actors(ctx)
    territories.seed_demo_territories(ctx)
    actors = [a.id for a in list_actors(ctx, active_only=False)]
    placed = territories.territories_of_actors(ctx, actors)
    for actor_id in actors:
        if actor_id not in placed:
            territories.assign_actor(ctx, actor_id, "valenciennes")
