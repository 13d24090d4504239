"""Accounts: create, sign in (throttled), change password, disable; API tokens; demo accounts.

Passwords are hashed with argon2id (parameters from the `web` settings; a hash made with other
parameters is redone at the next successful login). Only SHA-256 digests of API tokens are
stored. Error messages are French: front ends show them as they are.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from veilleuse.app import territories
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings, WebSettings
from veilleuse.core.accounts import (
    ApiToken,
    Permission,
    Role,
    User,
    can,
    check_account_fields,
    normalise_email,
)
from veilleuse.core.errors import (
    AuthenticationError,
    ConfigError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    ValidationError,
)
from veilleuse.records import accounts as account_records
from veilleuse.records import actors as actor_records
from veilleuse.records import territories as territory_records

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing megabytes on request would be a denial of service
TOKEN_PREFIX = "vl_"
WRONG_CREDENTIALS = "Adresse e-mail ou mot de passe incorrect."


# --------------------------------------------------------------------------- passwords


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(web: WebSettings) -> PasswordHasher:
    return _hasher(web.password_time_cost, web.password_memory_kib, web.password_parallelism)


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash(secrets.token_urlsafe(16))


def _verify(ph: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return ph.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_policy(password: str, email: str = "") -> None:
    """Raise ValidationError (French) unless `password` is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"Le mot de passe ne peut pas dépasser {MAX_PASSWORD_LENGTH} caractères."
        )
    if len(set(password)) < 4:
        raise ValidationError("Le mot de passe est trop répétitif : variez les caractères.")
    if email and normalise_email(password) == normalise_email(email):
        raise ValidationError("Le mot de passe ne peut pas être l'adresse e-mail.")


def hash_password(settings: Settings, password: str) -> str:
    return hasher(settings.web).hash(password)


# --------------------------------------------------------------------------- users


def create_user(
    ctx: Context,
    email: str,
    name: str,
    role: Role | str,
    password: str,
    territory_id: str | None = None,
    actor_id: str | None = None,
) -> User:
    """Create an account; raises ValidationError naming every problem with the fields."""
    email = normalise_email(email)
    try:
        role = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise ValidationError(f"rôle inconnu : {role!r} (choix : {choices})") from None
    territory_id = territory_id or None
    actor_id = actor_id or None
    problems = check_account_fields(email, role, territory_id, actor_id)
    if territory_id and territory_records.get_territory(ctx.records, territory_id) is None:
        problems.append(f"territoire inconnu : {territory_id!r}")
    if actor_id and actor_records.get_actor(ctx.records, actor_id) is None:
        problems.append(f"structure inconnue : {actor_id!r}")
    if account_records.get_user_by_email(ctx.records, email) is not None:
        problems.append(f"un compte existe déjà pour {email}")
    if problems:
        raise ValidationError(" ; ".join(problems))
    check_password_policy(password, email)
    return account_records.create_user(
        ctx.records,
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(ctx.settings, password),
        territory_id=territory_id,
        actor_id=actor_id,
    )


def get_user(ctx: Context, user_id: int) -> User:
    user = account_records.get_user(ctx.records, user_id)
    if user is None:
        raise NotFoundError(f"aucun compte n°{user_id}")
    return user


def get_user_by_email(ctx: Context, email: str) -> User:
    user = account_records.get_user_by_email(ctx.records, normalise_email(email))
    if user is None:
        raise NotFoundError(f"aucun compte pour {email}")
    return user


def list_users(ctx: Context) -> list[User]:
    return account_records.list_users(ctx.records)


def disable_user(ctx: Context, user_id: int, by: User | None = None) -> User:
    """Disable an account: it can no longer sign in, its sessions and API tokens stop working."""
    if by is not None and by.id == user_id:
        raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
    user = account_records.set_active(ctx.records, user_id, False)
    if user is None:
        raise NotFoundError(f"aucun compte n°{user_id}")
    return user


# --------------------------------------------------------------------------- signing in


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
        _verify(
            ph,
            _dummy_hash(web.password_time_cost, web.password_memory_kib, web.password_parallelism),
            password,
        )
        _fail(ctx, email, client, now)
        raise AuthenticationError(WRONG_CREDENTIALS)
    user, password_hash = found
    if not _verify(ph, password_hash, password):
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
    if not _verify(hasher(ctx.settings.web), found[1], current):
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


# --------------------------------------------------------------------------- API tokens


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


# --------------------------------------------------------------------------- web server


def open_records(ctx: Context) -> None:
    """Open (and migrate) the records database now, as a server starts, not on a first request."""
    _ = ctx.records.engine


def session_secret(settings: Settings) -> str:
    """The key signing session cookies: the setting, else <data_dir>/web_secret (created 0600)."""
    if settings.web.secret_key is not None:
        return settings.web.secret_key.get_secret_value()
    path = settings.web_secret_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_secret(path)
    secret = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret


def _read_secret(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        log.warning("%s was readable by others: permissions set to 0600", path)
        path.chmod(0o600)
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 32:
        raise ConfigError(f"{path}: session key too short (at least 32 characters)")
    return secret


# --------------------------------------------------------------------------- demo


DEMO_MARKER = ".veilleuse-demo"

#: (e-mail, name, role, territory, actor). `.test` addresses can never receive mail.
DEMO_ACCOUNTS: tuple[tuple[str, str, Role, str | None, str | None], ...] = (
    ("admin@veilleuse.test", "Administration (démo)", Role.ADMIN, None, None),
    ("veille@valenciennes.test", "Chargé·e de veille Valenciennes (démo)", Role.OFFICER,
     "valenciennes", None),
    ("veille@mel.test", "Chargé·e de veille MEL (démo)", Role.OFFICER, "mel", None),
    ("reseau@valenciennes.test", "Équipe du réseau (démo)", Role.STAFF, "valenciennes", None),
    ("comite@valenciennes.test", "Comité de pilotage (démo)", Role.COMMITTEE, "valenciennes",
     None),
    ("esat@acteurs.test", "ESAT Les Jardins de l'Escaut (démo)", Role.ACTOR, "valenciennes",
     "esat-jardins-escaut"),
)  # fmt: skip
DEMO_OFFICER = "veille@valenciennes.test"


@dataclass
class DemoSeedReport:
    territories_created: int
    actors_assigned: int
    users_created: list[str] = field(default_factory=list)
    #: demo accounts whose password no longer was the demo password (set back)
    passwords_reset: list[str] = field(default_factory=list)
    login_url: str = ""
    officer_email: str = DEMO_OFFICER
    #: every demo account: (e-mail, French role label)
    accounts: list[tuple[str, str]] = field(default_factory=list)
    password: str = ""


def seed_demo(ctx: Context) -> DemoSeedReport:
    """Demo territories, actor assignments and one account per role, idempotently.

    Every demo account gets the documented `web.demo_password`. Refused (ValidationError) in a
    data folder that holds other accounts and was not made by the demo, so a known password
    never lands in a real deployment.
    """
    settings = ctx.settings
    marker = settings.data_dir / DEMO_MARKER
    demo_emails = {email for email, *_ in DEMO_ACCOUNTS}
    others = [u.email for u in list_users(ctx) if u.email not in demo_emails]
    if others and not marker.exists():
        raise ValidationError(
            f"{settings.data_dir}: ce dossier de données contient des comptes réels "
            f"({len(others)}) : les comptes de démonstration n'y sont pas créés."
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text("Dossier de données de la démonstration (comptes à mot de passe connu).\n")
    if any(actor_records.get_actor(ctx.records, a) is None for *_, a in DEMO_ACCOUNTS if a):
        from veilleuse.app.actors import ensure_demo_actors  # matching is heavy: load on need

        ensure_demo_actors(ctx)
    created, assigned = territories.seed_demo_territories(ctx)
    password = settings.web.demo_password
    report = DemoSeedReport(created, assigned, password=password)
    report.login_url = settings.web.base_url.rstrip("/") + "/connexion"
    ph = hasher(settings.web)
    for email, name, role, territory_id, actor_id in DEMO_ACCOUNTS:
        report.accounts.append((email, role.label))
        found = account_records.password_hash_for(ctx.records, email)
        if found is None:
            create_user(ctx, email, name, role, password, territory_id, actor_id)
            report.users_created.append(email)
            continue
        user, password_hash = found
        if not _verify(ph, password_hash, password):
            account_records.set_password_hash(ctx.records, user.id, ph.hash(password), ctx.now())
            report.passwords_reset.append(email)
        if not user.active:
            account_records.set_active(ctx.records, user.id, True)
    return report
