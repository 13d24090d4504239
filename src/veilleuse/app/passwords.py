"""Passwords: hashing with argon2id, checking one against its hash, and the policy a new one
must meet.

The argon2 parameters come from the `web` settings; a hash made with other parameters is redone
at the next successful sign-in (`app.sign_in`). Messages are French: front ends show them as
they are.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from veilleuse.config.settings import Settings, WebSettings
from veilleuse.core.accounts import normalise_email
from veilleuse.core.errors import ValidationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing megabytes on request would be a denial of service


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


def hasher(web: WebSettings) -> PasswordHasher:
    return _hasher(web.password_time_cost, web.password_memory_kib, web.password_parallelism)


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_kib, parallelism).hash(secrets.token_urlsafe(16))


def dummy_hash(web: WebSettings) -> str:
    """The hash of a random password, made once per parameters: verifying against it takes the
    time a real verification takes."""
    return _dummy_hash(web.password_time_cost, web.password_memory_kib, web.password_parallelism)


def verify_password(ph: PasswordHasher, password_hash: str, password: str) -> bool:
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
