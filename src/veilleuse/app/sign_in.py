"""Signing in and changing a password: the password checked against its hash, throttled.

After `login_max_failures_per_email` failures for one e-mail, or
`login_max_failures_per_client` from one client address, within `login_window_minutes`, both
are refused (ThrottledError with the wait) until older failures leave the window. An unknown
e-mail costs the time of a real verification, so the answer does not reveal which accounts
exist. A hash made with other argon2 parameters is redone at a successful sign-in.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from veilleuse.app.accounts import get_user
from veilleuse.app.context import Context
from veilleuse.app.passwords import (
    check_password_policy,
    dummy_hash,
    hash_password,
    hasher,
    verify_password,
)
from veilleuse.core.accounts import User, normalise_email
from veilleuse.core.errors import AuthenticationError, ThrottledError, ValidationError
from veilleuse.records import accounts as account_records

log = logging.getLogger(__name__)

WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


def _throttle(ctx: Context, email: str, client: str, now: datetime) -> None:
    web = ctx.settings.web
    window = timedelta(minutes=web.login_window_minutes)
    since = now - window
    waits: list[float] = []
    for key, limit in (
        ({"email": email}, web.login_max_failures_per_email),
        ({"client": client}, web.login_max_failures_per_client),
    ):
        failures = account_records.recent_failures(ctx.records, since, **key)
        if len(failures) >= limit:
            # refused until fewer than `limit` failures remain in the window
            waits.append((failures[limit - 1] + window - now).total_seconds())
    if waits:
        seconds = max(1, math.ceil(max(waits)))
        minutes = math.ceil(seconds / 60)
        raise ThrottledError(
            "Trop de tentatives de connexion échouées. Réessayez dans "
            f"{minutes} minute{'s' if minutes > 1 else ''}.",
            retry_after=seconds,
        )


def _fail(ctx: Context, email: str, client: str, now: datetime) -> None:
    window = timedelta(minutes=ctx.settings.web.login_window_minutes)
    account_records.prune_failed_logins(ctx.records, now - window)
    account_records.record_failed_login(ctx.records, email, client, now)


def authenticate(ctx: Context, email: str, password: str, client: str) -> User:
    """The account matching e-mail and password, or AuthenticationError (ThrottledError after
    too many failures for the e-mail or the client address within the window)."""
    email = normalise_email(email)
    now = ctx.now()
    _throttle(ctx, email, client, now)
    web = ctx.settings.web
    ph = hasher(web)
    found = account_records.password_hash_for(ctx.records, email)
    if found is None:
        # spend the time a real verification takes, so the answer does not reveal the account
        verify_password(ph, dummy_hash(web), password)
        _fail(ctx, email, client, now)
        raise AuthenticationError(WRONG_CREDENTIALS)
    user, password_hash = found
    if not verify_password(ph, password_hash, password):
        _fail(ctx, email, client, now)
        raise AuthenticationError(WRONG_CREDENTIALS)
    if not user.active:
        raise AuthenticationError("Ce compte est désactivé : adressez-vous à l'administration.")
    account_records.clear_failed_logins(ctx.records, email)
    if ph.check_needs_rehash(password_hash):
        account_records.set_password_hash(ctx.records, user.id, ph.hash(password), None)
        log.info("password of user %s rehashed with the current argon2 parameters", user.id)
    return user


def change_password(ctx: Context, user_id: int, current: str, new: str, client: str) -> User:
    """Replace a password after checking the current one; every other session ends."""
    user = get_user(ctx, user_id)
    now = ctx.now()
    _throttle(ctx, user.email, client, now)
    found = account_records.password_hash_for(ctx.records, user.email)
    assert found is not None
    if not verify_password(hasher(ctx.settings.web), found[1], current):
        _fail(ctx, user.email, client, now)
        raise AuthenticationError("Le mot de passe actuel est incorrect.")
    if new == current:
        raise ValidationError("Le nouveau mot de passe doit être différent de l'actuel.")
    check_password_policy(new, user.email)
    changed = account_records.set_password_hash(
        ctx.records, user_id, hash_password(ctx.settings, new), now
    )
    assert changed is not None
    return changed
