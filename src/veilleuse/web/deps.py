"""Dependencies of every page: the context, the signed-in user, permissions, CSRF.

Sessions are signed cookies (Starlette's SessionMiddleware, key from `web.secret_key` or
<data_dir>/web_secret). A session holds the user id, a stamp of the password's last change,
the instant it was issued, a CSRF token and flash messages. It is refused (and cleared) when
the account is disabled, when the password changed since it was issued, or when it is older
than `web.session_max_age` — whatever the cookie's own expiry says.

Use in a route module:

    @router.get("/acteurs")
    def actors_page(request: Request, ctx: Ctx, user: Annotated[User, Depends(require(Permission.ACTORS_VIEW))]): ...

Every POST/PUT/PATCH/DELETE outside `/api/` is CSRF-checked by `create_app` (an app-wide
dependency): forms carry `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`,
scripts send the header `X-CSRF-Token`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request

from veilleuse.app.accounts import get_user
from veilleuse.app.context import Context
from veilleuse.core.accounts import Permission, User, can
from veilleuse.core.errors import NotFoundError, PermissionDeniedError
from veilleuse.web.templating import flash, session_of

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


#: seconds since the epoch; a seam for tests of session age
clock = time.time


class LoginRequired(Exception):
    """No valid session: a page redirects to the login form, an API call answers 401."""

    def __init__(self, next_path: str | None = None) -> None:
        self.next_path = next_path
        super().__init__("Connexion requise")


def get_ctx(request: Request) -> Context:
    """The application's long-lived Context (opened at startup, closed at shutdown)."""
    ctx = request.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx


Ctx = Annotated[Context, Depends(get_ctx)]


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def client_address(request: Request) -> str:
    """The client's address (uvicorn resolves X-Forwarded-For from trusted proxies only)."""
    return request.client.host if request.client else "inconnu"


# --------------------------------------------------------------------------- sessions


def password_stamp(user: User) -> str:
    changed = user.password_changed_at
    return str(round(changed.timestamp() * 1_000_000)) if changed else ""


def start_session(request: Request, user: User) -> None:
    """A fresh session for `user` (after login or a password change): nothing carried over."""
    session = session_of(request)
    session.clear()
    session.update({"uid": user.id, "pwd": password_stamp(user), "iat": int(clock())})
    request.state.user = user


def end_session(request: Request) -> None:
    session_of(request).clear()
    request.state.user = None


def _session_user(request: Request) -> User | None:
    if hasattr(request.state, "user"):  # already looked up for this request
        cached = request.state.user
        return cached if isinstance(cached, User) else None
    session = session_of(request)
    uid = session.get("uid")
    user: User | None = None
    if isinstance(uid, int):
        ctx = get_ctx(request)
        try:
            user = get_user(ctx, uid)
        except NotFoundError:
            user = None
        problem = None
        max_age = ctx.settings.web.session_max_age
        if user is None or not user.active:
            problem = "Ce compte est désactivé : vous avez été déconnecté·e."
        elif session.get("pwd") != password_stamp(user):
            problem = "Le mot de passe de ce compte a changé : reconnectez-vous."
        elif not isinstance(session.get("iat"), int) or clock() - session["iat"] > max_age:
            problem = "Votre session a expiré : reconnectez-vous."
        if problem is not None:
            end_session(request)
            flash(request, problem, "warning")
            user = None
    elif uid is not None:
        end_session(request)
    request.state.user = user
    return user


def optional_user(request: Request) -> User | None:
    """The signed-in user, or None (pages that anonymous visitors may see)."""
    return _session_user(request)


def current_user(request: Request) -> User:
    """The signed-in user; without a valid session, LoginRequired (redirect to /connexion)."""
    user = _session_user(request)
    if user is None:
        next_path = None
        if request.method == "GET" and request.url.path != "/":
            next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(next_path)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(permission: Permission) -> Callable[[User], User]:
    """A dependency returning the signed-in user if their role allows `permission`, else 403."""

    def dependency(user: CurrentUser) -> User:
        if not can(user, permission):
            raise PermissionDeniedError(
                f"Votre rôle ({user.role.label}) ne permet pas d'accéder à cette page."
            )
        return user

    dependency.__name__ = f"require_{permission.value.replace('.', '_')}"
    return dependency


def login_url(next_path: str | None) -> str:
    return "/connexion" + (f"?suivant={quote(next_path, safe='/')}" if next_path else "")


def safe_next(value: str | None) -> str | None:
    """`value` if it is a path of this site (no scheme, no host), else None."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    if any(ord(c) < 32 or c == "\\" for c in value):
        return None
    return value


# --------------------------------------------------------------------------- CSRF


async def csrf_protect(request: Request) -> None:
    """Refuse (403) a state-changing request whose CSRF token does not match the session's.

    The token comes from the header `X-CSRF-Token` or the form field `csrf_token`.
    """
    expected = session_of(request).get("csrf")
    sent: object = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        sent = (await request.form()).get("csrf_token")
    if not (
        isinstance(expected, str)
        and expected
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    ):
        raise PermissionDeniedError(
            "Ce formulaire a expiré ou ne vient pas de ce site. Rechargez la page et "
            "recommencez (les cookies doivent être autorisés)."
        )


#: paths whose only credential is a signed token in the URL, posted by a mail client without a
#: session (RFC 8058 one-click unsubscribe): no session, so nothing a forged request could ride.
#: `/lien/` is the digest's one-click unsubscribe only (`web.routes.links`); the other forms of
#: the digest links post under `/veille/`, CSRF-checked
TOKEN_PATHS = ("/alertes/desabonner/", "/lien/")


async def csrf_guard(request: Request) -> None:
    """App-wide: `csrf_protect` on every unsafe method outside `/api/` (token-authenticated)
    and outside the token-only paths."""
    path = request.url.path
    if request.method in SAFE_METHODS or is_api(request) or path.startswith(TOKEN_PATHS):
        return
    await csrf_protect(request)
