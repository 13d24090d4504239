"""Personal API tokens: create (the clear token is shown once), list, revoke, and find the
account a token belongs to. Only SHA-256 digests of tokens are stored.
"""

from __future__ import annotations

import hashlib
import secrets

from veilleuse.app.context import Context
from veilleuse.core.accounts import ApiToken, Permission, User, can
from veilleuse.core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from veilleuse.records import accounts as account_records

TOKEN_PREFIX = "vl_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(ctx: Context, user: User, name: str) -> tuple[ApiToken, str]:
    """A new personal API token: (its listing, the clear token — shown once, never stored)."""
    if not can(user, Permission.API_TOKENS):
        raise PermissionDeniedError("Votre rôle ne permet pas de créer des jetons d'API.")
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("Donnez au jeton un nom de 1 à 200 caractères.")
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = account_records.create_token(ctx.records, user.id, name, _digest(clear), clear[:10])
    return token, clear


def list_tokens(ctx: Context, user: User) -> list[ApiToken]:
    return account_records.list_tokens(ctx.records, user.id)


def revoke_token(ctx: Context, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens (NotFoundError for another's or a revoked one)."""
    if not account_records.revoke_token(ctx.records, token_id, user.id, ctx.now()):
        raise NotFoundError(f"aucun jeton actif n°{token_id} pour ce compte")


def user_for_token(ctx: Context, token: str) -> User:
    """The active account owning this clear API token, or AuthenticationError."""
    if token.startswith(TOKEN_PREFIX) and len(token) < 200:
        user = account_records.user_for_token_hash(ctx.records, _digest(token), ctx.now())
        if user is not None and can(user, Permission.API_TOKENS):
            return user
    raise AuthenticationError("Jeton d'API invalide, révoqué, ou compte désactivé.")
