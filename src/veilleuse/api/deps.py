"""Dependencies of every API route: the context, the token's user, permissions, cursor key.

Authentication is a personal API token only (`Authorization: Bearer vl_…`, created on the page
/compte/jetons); a session cookie is ignored, so no API call can be forged by another site.
A missing or refused token is `AuthenticationError` (401 with `WWW-Authenticate: Bearer`), a
role without the permission `PermissionDeniedError` (403), by the table the pages use.

The Context is the application's own (`request.app.state.ctx`, opened by the web shell); the
API does not import `veilleuse.web`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from veilleuse.api.cursors import derive_key
from veilleuse.app.api_tokens import user_for_token
from veilleuse.app.context import Context
from veilleuse.app.web_server import session_secret
from veilleuse.core.accounts import Permission, User, can
from veilleuse.core.errors import AuthenticationError, PermissionDeniedError

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="jeton",
    description="Jeton d'API personnel (vl_…), créé sur la page /compte/jetons.",
)


def get_ctx(request: Request) -> Context:
    ctx = request.app.state.ctx
    assert isinstance(ctx, Context)
    return ctx


Ctx = Annotated[Context, Depends(get_ctx)]


def token_user(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> User:
    """The active account owning the bearer token, or AuthenticationError (401)."""
    if credentials is None:
        raise AuthenticationError(
            "Jeton d'API manquant : envoyez l'en-tête « Authorization: Bearer vl_… »."
        )
    user = user_for_token(ctx, credentials.credentials.strip())
    request.state.user = user
    return user


TokenUser = Annotated[User, Depends(token_user)]


def require(permission: Permission) -> Callable[[User], User]:
    """A dependency returning the token's user if their role allows `permission`, else 403."""

    def dependency(user: TokenUser) -> User:
        if not can(user, permission):
            raise PermissionDeniedError(
                f"Votre rôle ({user.role.label}) ne permet pas cette opération de l'API."
            )
        return user

    dependency.__name__ = f"api_require_{permission.value.replace('.', '_')}"
    return dependency


def cursor_key(request: Request) -> bytes:
    """The key signing this application's cursors (derived once, from the session key)."""
    state = request.app.state
    key = getattr(state, "api_cursor_key", None)
    if not isinstance(key, bytes):
        key = derive_key(session_secret(get_ctx(request).settings))
        state.api_cursor_key = key
    return key


CursorKey = Annotated[bytes, Depends(cursor_key)]


def query_lists(request: Request) -> dict[str, list[str]]:
    """The query string as parameter → every value, in order (repeated parameters kept)."""
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    return params
