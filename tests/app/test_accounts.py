"""Account use cases on a real SQLite records database: hashing, throttling, tokens, demo seed."""

from __future__ import annotations

import hashlib
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from veilleuse.app import accounts, api_tokens, demo_accounts, sign_in, territories, web_server
from veilleuse.app.actors import ensure_demo_actors
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings, get_settings
from veilleuse.core.accounts import Role
from veilleuse.core.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    ValidationError,
)
from veilleuse.records import accounts as account_records

FAST = {"password_time_cost": 1, "password_memory_kib": 1024, "password_parallelism": 1}
PASSWORD = "une phrase de passe assez longue"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def make_settings(data_dir: Path, **web: Any) -> Settings:
    return get_settings(data_dir=data_dir, web={**FAST, **web})


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ctx(tmp_path: Path, clock: Clock) -> Iterator[Context]:
    with Context(make_settings(tmp_path)) as context:
        context.now = clock  # type: ignore[method-assign]
        ensure_demo_actors(context)
        territories.seed_demo_territories(context)
        yield context


def officer(ctx: Context, email: str = "officer@valenciennes.test") -> Any:
    return accounts.create_user(ctx, email, "Camille", Role.OFFICER, PASSWORD, "valenciennes")


def stored_hash(ctx: Context, email: str) -> str:
    found = account_records.password_hash_for(ctx.records, email)
    assert found is not None
    return found[1]


# --------------------------------------------------------------------------- users


def test_create_user_stores_an_argon2id_hash_never_the_password(ctx: Context) -> None:
    user = officer(ctx, "  Officer@Valenciennes.TEST ")
    assert user.email == "officer@valenciennes.test"
    assert user.role is Role.OFFICER and user.territory_id == "valenciennes" and user.active
    password_hash = stored_hash(ctx, user.email)
    assert password_hash.startswith("$argon2id$")
    assert PASSWORD not in password_hash
    db = Path(ctx.settings.records_url().removeprefix("sqlite:///"))
    ctx.close()
    assert PASSWORD.encode() not in db.read_bytes()


def test_password_policy_is_explained_in_french(ctx: Context) -> None:
    with pytest.raises(ValidationError, match="au moins 12 caractères"):
        accounts.create_user(ctx, "a@valenciennes.test", "", Role.ADMIN, "court")
    with pytest.raises(ValidationError, match="trop répétitif"):
        accounts.create_user(ctx, "a@valenciennes.test", "", Role.ADMIN, "a" * 20)
    assert accounts.list_users(ctx) == []


def test_account_fields_are_checked_together(ctx: Context) -> None:
    officer(ctx)
    with pytest.raises(ValidationError) as caught:
        accounts.create_user(
            ctx, "OFFICER@valenciennes.test", "", "officer", PASSWORD, "nulle-part"
        )
    message = str(caught.value)
    assert "territoire inconnu" in message and "un compte existe déjà" in message
    with pytest.raises(ValidationError, match="structure inconnue"):
        accounts.create_user(ctx, "x@acteurs.test", "", Role.ACTOR, PASSWORD, None, "inconnue")
    with pytest.raises(ValidationError, match="rôle inconnu"):
        accounts.create_user(ctx, "x@acteurs.test", "", "chef", PASSWORD)
    actor = accounts.create_user(
        ctx, "x@acteurs.test", "", Role.ACTOR, PASSWORD, None, "esat-jardins-escaut"
    )
    assert actor.actor_id == "esat-jardins-escaut"


def test_disable_user(ctx: Context) -> None:
    admin = accounts.create_user(ctx, "admin@valenciennes.test", "", Role.ADMIN, PASSWORD)
    user = officer(ctx)
    with pytest.raises(ValidationError, match="votre propre compte"):
        accounts.disable_user(ctx, admin.id, by=admin)
    assert not accounts.disable_user(ctx, user.id, by=admin).active
    with pytest.raises(AuthenticationError, match="désactivé"):
        sign_in.authenticate(ctx, user.email, PASSWORD, "10.0.0.1")
    with pytest.raises(NotFoundError):
        accounts.disable_user(ctx, 9999)


# --------------------------------------------------------------------------- signing in


def test_authenticate_refuses_without_saying_which_part_was_wrong(ctx: Context) -> None:
    user = officer(ctx)
    assert sign_in.authenticate(ctx, "OFFICER@valenciennes.test ", PASSWORD, "10.0.0.1") == user
    with pytest.raises(AuthenticationError) as wrong_password:
        sign_in.authenticate(ctx, user.email, PASSWORD + "!", "10.0.0.1")
    with pytest.raises(AuthenticationError) as unknown:
        sign_in.authenticate(ctx, "personne@valenciennes.test", PASSWORD, "10.0.0.1")
    assert str(wrong_password.value) == str(unknown.value) == sign_in.WRONG_CREDENTIALS


def test_five_failures_for_an_email_lock_it_for_the_window(ctx: Context, clock: Clock) -> None:
    user = officer(ctx)
    for minute in range(5):
        clock.now = T0 + timedelta(minutes=minute)
        with pytest.raises(AuthenticationError):
            sign_in.authenticate(ctx, user.email, "mauvais mot de passe", f"10.0.0.{minute}")
    clock.now = T0 + timedelta(minutes=5)
    with pytest.raises(ThrottledError) as caught:  # even with the right password
        sign_in.authenticate(ctx, user.email, PASSWORD, "10.0.0.99")
    # the oldest of the five failures leaves the 15-minute window at T0 + 15 min
    assert caught.value.retry_after == 10 * 60
    assert "Réessayez dans 10 minutes" in str(caught.value)
    clock.now = T0 + timedelta(minutes=15, seconds=1)
    assert sign_in.authenticate(ctx, user.email, PASSWORD, "10.0.0.99") == user
    # success forgot the failures: four more are allowed at once
    for _ in range(4):
        with pytest.raises(AuthenticationError) as caught_again:
            sign_in.authenticate(ctx, user.email, "mauvais mot de passe", "10.0.0.99")
        assert not isinstance(caught_again.value, ThrottledError)


def test_twenty_failures_from_one_client_lock_that_client(ctx: Context) -> None:
    user = officer(ctx)
    for n in range(20):
        with pytest.raises(AuthenticationError):
            sign_in.authenticate(ctx, f"inconnu{n}@valenciennes.test", "x" * 12, "192.0.2.7")
    with pytest.raises(ThrottledError, match="Trop de tentatives"):
        sign_in.authenticate(ctx, user.email, PASSWORD, "192.0.2.7")
    assert sign_in.authenticate(ctx, user.email, PASSWORD, "192.0.2.8") == user


def test_a_hash_made_with_other_parameters_is_redone_at_login(tmp_path: Path) -> None:
    with Context(make_settings(tmp_path)) as ctx:
        territories.seed_demo_territories(ctx)
        user = officer(ctx)
        before = stored_hash(ctx, user.email)
    assert "m=1024,t=1,p=1" in before
    with Context(make_settings(tmp_path, password_memory_kib=2048, password_time_cost=2)) as ctx:
        assert sign_in.authenticate(ctx, user.email, PASSWORD, "10.0.0.1") == user
        after = stored_hash(ctx, user.email)
        assert "m=2048,t=2,p=1" in after
        # a rehash is not a password change: sessions stay valid
        assert accounts.get_user(ctx, user.id).password_changed_at == user.password_changed_at


def test_change_password(ctx: Context, clock: Clock) -> None:
    user = officer(ctx)
    with pytest.raises(AuthenticationError, match="actuel est incorrect"):
        sign_in.change_password(ctx, user.id, "pas le bon", "nouvelle phrase de passe", "c")
    with pytest.raises(ValidationError, match="12 caractères"):
        sign_in.change_password(ctx, user.id, PASSWORD, "court", "c")
    with pytest.raises(ValidationError, match="différent"):
        sign_in.change_password(ctx, user.id, PASSWORD, PASSWORD, "c")
    clock.now = T0 + timedelta(hours=1)
    changed = sign_in.change_password(ctx, user.id, PASSWORD, "nouvelle phrase de passe", "c")
    assert changed.password_changed_at == clock.now
    assert sign_in.authenticate(ctx, user.email, "nouvelle phrase de passe", "c") == changed
    with pytest.raises(AuthenticationError):
        sign_in.authenticate(ctx, user.email, PASSWORD, "c")


# --------------------------------------------------------------------------- API tokens


def test_tokens_are_shown_once_and_stored_as_sha256(ctx: Context) -> None:
    user = officer(ctx)
    token, clear = api_tokens.create_token(ctx, user, "  tableur du réseau ")
    assert clear.startswith("vl_") and len(clear) == 3 + 43
    assert token.name == "tableur du réseau" and token.prefix == clear[:10] and token.active
    assert api_tokens.user_for_token(ctx, clear) == user
    db = Path(ctx.settings.records_url().removeprefix("sqlite:///"))
    with sqlite3.connect(db) as connection:
        rows = connection.execute("select token_hash, last_used_at from api_tokens").fetchall()
    connection.close()
    assert rows[0][0] == hashlib.sha256(clear.encode()).hexdigest()
    assert rows[0][1] is not None  # touched by the lookup
    assert clear.encode() not in db.read_bytes()


def test_revoked_tokens_and_disabled_owners_are_refused(ctx: Context) -> None:
    user = officer(ctx)
    other = officer(ctx, "other@valenciennes.test")
    token, clear = api_tokens.create_token(ctx, user, "a")
    with pytest.raises(NotFoundError):
        api_tokens.revoke_token(ctx, other, token.id)  # not theirs
    api_tokens.revoke_token(ctx, user, token.id)
    with pytest.raises(AuthenticationError):
        api_tokens.user_for_token(ctx, clear)
    with pytest.raises(NotFoundError):
        api_tokens.revoke_token(ctx, user, token.id)  # already revoked
    (listed,) = api_tokens.list_tokens(ctx, user)
    assert not listed.active
    _, second = api_tokens.create_token(ctx, other, "b")
    accounts.disable_user(ctx, other.id)
    with pytest.raises(AuthenticationError):
        api_tokens.user_for_token(ctx, second)
    for bogus in ("", "vl_", "abc", "vl_" + "x" * 43):
        with pytest.raises(AuthenticationError):
            api_tokens.user_for_token(ctx, bogus)


def test_roles_without_api_access_get_no_token(ctx: Context) -> None:
    committee = accounts.create_user(
        ctx, "c@valenciennes.test", "", Role.COMMITTEE, PASSWORD, "valenciennes"
    )
    with pytest.raises(PermissionDeniedError):
        api_tokens.create_token(ctx, committee, "a")
    with pytest.raises(ValidationError, match="nom"):
        api_tokens.create_token(ctx, officer(ctx), "   ")


# --------------------------------------------------------------------------- session key


def test_session_secret_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    first = web_server.session_secret(settings)
    path = settings.web_secret_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32 and web_server.session_secret(settings) == first
    path.chmod(0o644)
    assert web_server.session_secret(settings) == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    given = make_settings(tmp_path / "other", secret_key="k" * 40)
    assert web_server.session_secret(given) == "k" * 40
    assert not given.web_secret_path().exists()


# --------------------------------------------------------------------------- territories, demo


def test_territories_and_actor_assignment(ctx: Context) -> None:
    names = {t.id: t for t in territories.list_territories(ctx)}
    assert names["valenciennes"].name == "Valenciennes Métropole"
    assert names["valenciennes"].epcis == ["245901160"]  # CA Valenciennes Métropole
    assert names["mel"].epcis == ["200093201"] and names["mel"].departments == ["59"]
    found = territories.territories_of_actors(
        ctx, ["esat-jardins-escaut", "ea-proprete-solidaire-lille", "inconnue"]
    )
    assert found == {"esat-jardins-escaut": "valenciennes", "ea-proprete-solidaire-lille": "mel"}
    territories.assign_actor(ctx, "esat-jardins-escaut", "mel")
    assert territories.territories_of_actors(ctx, ["esat-jardins-escaut"]) == {
        "esat-jardins-escaut": "mel"
    }
    with pytest.raises(NotFoundError):
        territories.assign_actor(ctx, "esat-jardins-escaut", "nulle-part")
    with pytest.raises(NotFoundError):
        territories.assign_actor(ctx, "inconnue", "mel")


def test_visible_actor_ids(ctx: Context) -> None:
    admin = accounts.create_user(ctx, "admin@valenciennes.test", "", Role.ADMIN, PASSWORD)
    mel = accounts.create_user(ctx, "o@mel.test", "", Role.OFFICER, PASSWORD, "mel")
    actor = accounts.create_user(
        ctx, "a@acteurs.test", "", Role.ACTOR, PASSWORD, None, "esat-jardins-escaut"
    )
    assert territories.visible_actor_ids(ctx, admin) is None
    seen = territories.visible_actor_ids(ctx, mel)
    assert seen is not None and "ea-proprete-solidaire-lille" in seen
    assert "esat-jardins-escaut" not in seen
    assert territories.visible_actor_ids(ctx, actor) == {"esat-jardins-escaut"}


def test_seed_demo_is_idempotent_and_refused_among_real_accounts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "demo")
    with Context(settings) as ctx:
        first = demo_accounts.seed_demo(ctx)
        assert len(first.users_created) == 8 and first.territories_created == 2
        assert first.searches_created == 4  # officers and staff of both territories
        assert first.actors_per_territory == {
            "Métropole Européenne de Lille": 8,
            "Valenciennes Métropole": 9,
        }
        assert first.login_url == "http://127.0.0.1:8000/connexion"
        assert first.password == "veilleuse-demo-2026"
        again = demo_accounts.seed_demo(ctx)
        assert again.users_created == [] and again.territories_created == 0
        assert again.searches_created == 0
        roles = {u.role for u in accounts.list_users(ctx)}
        assert roles == set(Role)
        officer_user = sign_in.authenticate(ctx, first.officer_email, first.password, "c")
        assert officer_user.territory_id == "valenciennes"
        actor = accounts.get_user_by_email(ctx, "esat@acteurs.test")
        assert actor.actor_id == "esat-jardins-escaut"
        # a changed demo password is set back, so the printed one always works
        sign_in.change_password(ctx, officer_user.id, first.password, PASSWORD, "c")
        assert demo_accounts.seed_demo(ctx).passwords_reset == [first.officer_email]
    with Context(make_settings(tmp_path / "real")) as ctx:
        accounts.create_user(ctx, "vraie@personne.fr", "", Role.ADMIN, PASSWORD)
        with pytest.raises(ValidationError, match="comptes réels"):
            demo_accounts.seed_demo(ctx)
        assert len(accounts.list_users(ctx)) == 1
