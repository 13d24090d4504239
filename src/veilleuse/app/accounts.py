"""Accounts: create, read, list and disable them.

Signing in and changing a password are in `app.sign_in`, password hashing and policy in
`app.passwords`, API tokens in `app.api_tokens`, the demonstration accounts in
`app.demo_accounts`. Error messages are French: front ends show them as they are.
"""

from __future__ import annotations

from veilleuse.app.context import Context
from veilleuse.app.passwords import check_password_policy, hash_password
from veilleuse.core.accounts import Role, User, check_account_fields, normalise_email
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.records import accounts as account_records
from veilleuse.records import actors as actor_records
from veilleuse.records import territories as territory_records


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
