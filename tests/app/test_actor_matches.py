"""`actor_matches`: who may read an actor's matches (role permission, or the actor's own
account), a foreign actor as not found, reasons as data and in French, best first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from veilleuse.app.actor_matches import actor_matches
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import PlanTerritory, Role, User
from veilleuse.core.errors import NotFoundError, PermissionDeniedError
from veilleuse.core.models import Actor, EssFamily, Match, Notice, NoticeKind, Reason
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.records import territories as territory_records
from veilleuse.search.embedded_store import EmbeddedStore

SOON = (datetime.now(UTC) + timedelta(days=20)).date()
PAST = (datetime.now(UTC) - timedelta(days=20)).date()


def notice(uid: str, deadline: object) -> Notice:
    return Notice(
        uid=uid, source="boamp", native_id=uid, kind=NoticeKind.TENDER, title=f"Avis {uid}",
        deadline=deadline,
    ).with_hash()  # fmt: skip


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        records = context.records
        for territory in ("valenciennes", "mel"):
            territory_records.upsert_territory(records, PlanTerritory(id=territory, name=territory))
        actor_records.upsert_actors(
            records,
            [
                Actor(id="esat", name="ESAT du Hainaut", family=EssFamily.ESAT),
                Actor(id="lille", name="EA de Lille", family=EssFamily.EA),
            ],
        )
        territory_records.set_actor_territory(records, "esat", "valenciennes")
        territory_records.set_actor_territory(records, "lille", "mel")
        store.write([notice("open", SOON), notice("closed", PAST)])
        cpv = Reason(code="cpv", params={"code": "77310000", "closeness": 1.0}, weight=20)
        near = Reason(code="territory", params={"case": "department", "department": "59"}, weight=5)
        match_records.save_matches(
            records,
            [
                Match(actor_id="esat", notice_uid="closed", score=90, reasons=[cpv]),
                Match(actor_id="esat", notice_uid="open", score=60, reasons=[near, cpv]),
                Match(actor_id="lille", notice_uid="open", score=70),
            ],
        )
        yield context


def user(role: Role, territory: str | None = "valenciennes", actor: str | None = None) -> User:
    return User(id=1, email="x@y.test", role=role, territory_id=territory, actor_id=actor)


def test_best_first_with_reasons_heaviest_first(ctx: Context) -> None:
    found = actor_matches(ctx, "esat", user(Role.STAFF))
    assert [line.match.notice_uid for line in found.matches] == ["closed", "open"]
    assert [line.closed for line in found.matches] == [True, False]
    reasons = found.matches[1].reasons
    assert [r.reason.code for r in reasons] == ["cpv", "territory"]
    assert all(r.text for r in reasons)
    only_open = actor_matches(ctx, "esat", user(Role.STAFF), open_only=True)
    assert [line.match.notice_uid for line in only_open.matches] == ["open"]
    assert len(actor_matches(ctx, "esat", user(Role.STAFF), limit=1).matches) == 1


def test_the_actors_own_account_reads_its_matches_and_no_other(ctx: Context) -> None:
    own = user(Role.ACTOR, actor="esat")
    assert len(actor_matches(ctx, "esat", own).matches) == 2
    with pytest.raises(NotFoundError):
        actor_matches(ctx, "lille", own)


def test_another_territory_is_not_found_and_admin_sees_all(ctx: Context) -> None:
    with pytest.raises(NotFoundError):
        actor_matches(ctx, "lille", user(Role.OFFICER))
    with pytest.raises(NotFoundError):
        actor_matches(ctx, "personne", user(Role.ADMIN, territory=None))
    assert actor_matches(ctx, "lille", user(Role.ADMIN, territory=None)).matches


def test_a_role_without_the_permission_is_refused(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    from veilleuse.core.accounts import ROLE_PERMISSIONS

    monkeypatch.setitem(ROLE_PERMISSIONS, Role.STAFF, frozenset())
    with pytest.raises(PermissionDeniedError):
        actor_matches(ctx, "esat", user(Role.STAFF))
