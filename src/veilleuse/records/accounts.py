"""User accounts, failed logins (for throttling) and personal API tokens.

Password hashes go in and out only through `password_hash_for` and `set_password_hash`; every
other function returns `User` / `ApiToken` domain objects, never rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from veilleuse.core.accounts import ApiToken, Role, User
from veilleuse.records.db import Records
from veilleuse.records.tables import ApiTokenRow, LoginAttemptRow, UserRow, utcnow

#: a token's `last_used_at` is rewritten at most this often
TOUCH_EVERY = timedelta(minutes=1)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite drops the UTC offset of stored instants; put it back."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=Role(row.role),
        territory_id=row.territory_id,
        actor_id=row.actor_id,
        active=row.active,
        created_at=_aware(row.created_at),
        password_changed_at=_aware(row.password_changed_at),
    )


def _token(row: ApiTokenRow) -> ApiToken:
    created = _aware(row.created_at)
    assert created is not None
    return ApiToken(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        prefix=row.prefix,
        created_at=created,
        last_used_at=_aware(row.last_used_at),
        revoked_at=_aware(row.revoked_at),
    )


# --------------------------------------------------------------------------- users


def create_user(
    records: Records,
    *,
    email: str,
    name: str,
    role: Role,
    password_hash: str,
    territory_id: str | None = None,
    actor_id: str | None = None,
) -> User:
    now = utcnow()
    with records.session() as s:
        row = UserRow(
            email=email,
            name=name,
            role=role.value,
            password_hash=password_hash,
            territory_id=territory_id,
            actor_id=actor_id,
            active=True,
            created_at=now,
            password_changed_at=now,
        )
        s.add(row)
        s.flush()
        return _user(row)


def get_user(records: Records, user_id: int) -> User | None:
    with records.session() as s:
        row = s.get(UserRow, user_id)
        return _user(row) if row else None


def get_user_by_email(records: Records, email: str) -> User | None:
    with records.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.email == email)).first()
        return _user(row) if row else None


def password_hash_for(records: Records, email: str) -> tuple[User, str] | None:
    """The account and its password hash, to verify a login."""
    with records.session() as s:
        row = s.scalars(select(UserRow).where(UserRow.email == email)).first()
        return (_user(row), row.password_hash) if row else None


def list_users(records: Records, territory_ids: set[str] | None = None) -> list[User]:
    """Every account, or those of the given territories; ordered by e-mail."""
    with records.session() as s:
        query = select(UserRow).order_by(UserRow.email)
        if territory_ids is not None:
            query = query.where(UserRow.territory_id.in_(sorted(territory_ids)))
        return [_user(r) for r in s.scalars(query)]


def set_active(records: Records, user_id: int, active: bool) -> User | None:
    with records.session() as s:
        row = s.get(UserRow, user_id)
        if row is None:
            return None
        row.active = active
        return _user(row)


def set_password_hash(
    records: Records, user_id: int, password_hash: str, changed_at: datetime | None
) -> User | None:
    """Store a new hash. `changed_at` ends the sessions issued before it; pass None for a rehash
    of the same password (new argon2 parameters), which keeps sessions valid."""
    with records.session() as s:
        row = s.get(UserRow, user_id)
        if row is None:
            return None
        row.password_hash = password_hash
        if changed_at is not None:
            row.password_changed_at = changed_at
        return _user(row)


# --------------------------------------------------------------------------- failed logins


def record_failed_login(records: Records, email: str, client: str, at: datetime) -> None:
    with records.session() as s:
        s.add(LoginAttemptRow(email=email[:320], client=client[:64], at=at))


def recent_failures(
    records: Records, since: datetime, *, email: str | None = None, client: str | None = None
) -> list[datetime]:
    """Instants of the failed logins since `since` for an e-mail or a client, newest first."""
    with records.session() as s:
        query = select(LoginAttemptRow.at).where(LoginAttemptRow.at >= since)
        if email is not None:
            query = query.where(LoginAttemptRow.email == email)
        if client is not None:
            query = query.where(LoginAttemptRow.client == client)
        found = s.scalars(query.order_by(LoginAttemptRow.at.desc())).all()
        return [a for a in (_aware(x) for x in found) if a is not None]


def count_recent_failures(
    records: Records, since: datetime, *, email: str | None = None, client: str | None = None
) -> int:
    with records.session() as s:
        query = select(func.count(LoginAttemptRow.id)).where(LoginAttemptRow.at >= since)
        if email is not None:
            query = query.where(LoginAttemptRow.email == email)
        if client is not None:
            query = query.where(LoginAttemptRow.client == client)
        return int(s.scalar(query) or 0)


def clear_failed_logins(records: Records, email: str) -> None:
    """Forget an e-mail's failed logins (after a successful one); the client's stay counted."""
    with records.session() as s:
        s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.email == email))


def prune_failed_logins(records: Records, before: datetime) -> int:
    """Delete failed logins older than `before` (they no longer count); returns how many."""
    with records.session() as s:
        result = s.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))
        return int(getattr(result, "rowcount", 0) or 0)


# --------------------------------------------------------------------------- API tokens


def create_token(
    records: Records, user_id: int, name: str, token_hash: str, prefix: str
) -> ApiToken:
    with records.session() as s:
        row = ApiTokenRow(
            user_id=user_id, name=name, token_hash=token_hash, prefix=prefix, created_at=utcnow()
        )
        s.add(row)
        s.flush()
        return _token(row)


def list_tokens(records: Records, user_id: int) -> list[ApiToken]:
    with records.session() as s:
        rows = s.scalars(
            select(ApiTokenRow)
            .where(ApiTokenRow.user_id == user_id)
            .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id.desc())
        )
        return [_token(r) for r in rows]


def revoke_token(records: Records, token_id: int, user_id: int, at: datetime) -> bool:
    """Revoke one of `user_id`'s tokens; False when it is not theirs or already revoked."""
    with records.session() as s:
        result = s.execute(
            update(ApiTokenRow)
            .where(
                ApiTokenRow.id == token_id,
                ApiTokenRow.user_id == user_id,
                ApiTokenRow.revoked_at.is_(None),
            )
            .values(revoked_at=at)
        )
        return bool(getattr(result, "rowcount", 0))


def user_for_token_hash(records: Records, token_hash: str, at: datetime) -> User | None:
    """The active owner of an unrevoked token with this hash, noting the token's use at `at`."""
    with records.session() as s:
        found = s.execute(
            select(ApiTokenRow, UserRow)
            .join(UserRow, UserRow.id == ApiTokenRow.user_id)
            .where(
                ApiTokenRow.token_hash == token_hash,
                ApiTokenRow.revoked_at.is_(None),
                UserRow.active.is_(True),
            )
        ).first()
        if found is None:
            return None
        token, user = found
        last = _aware(token.last_used_at)
        if last is None or at - last >= TOUCH_EVERY:  # not a write on every API call
            token.last_used_at = at
        return _user(user)
