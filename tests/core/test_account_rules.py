"""Roles, the permission table, territory visibility and account field rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError as PydanticValidationError

from veilleuse.core.accounts import (
    ROLE_PERMISSIONS,
    Permission,
    PlanTerritory,
    Role,
    User,
    can,
    check_account_fields,
    may_see_actor,
    own_actor,
    visible_territories,
)

P = Permission


def user(role: Role, territory: str | None = "valenciennes", actor: str | None = None) -> User:
    return User(
        id=1,
        email=f"{role.value}@valenciennes.test",
        role=role,
        territory_id=territory,
        actor_id=actor,
    )


ADMIN = user(Role.ADMIN, None)
OFFICER = user(Role.OFFICER)
STAFF = user(Role.STAFF)
COMMITTEE = user(Role.COMMITTEE)
ACTOR = user(Role.ACTOR, actor="esat-jardins-escaut")


def test_every_role_has_a_french_label_and_a_permission_set() -> None:
    assert Role.OFFICER.label == "chargé·e de veille"
    assert Role.ADMIN.label == "administrateur·rice"
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_admin_may_do_everything_but_an_actor_space() -> None:
    assert all(can(ADMIN, p) for p in Permission if p is not P.OWN_SPACE)
    assert not can(ADMIN, P.OWN_SPACE)


def test_officer_pushes_edits_and_imports() -> None:
    for p in (
        P.SEARCH,
        P.NOTICE_VIEW_MATCHES,
        P.NOTICE_PUSH,
        P.ACTORS_VIEW,
        P.ACTORS_EDIT,
        P.ACTORS_IMPORT,
        P.ACTORS_EXPORT,
        P.SOURCES_VIEW,
        P.SAVED_SEARCHES,
        P.EXPORTS,
        P.API_TOKENS,
    ):
        assert can(OFFICER, p), p
    assert not can(OFFICER, P.USERS_MANAGE)
    assert not can(OFFICER, P.OWN_SPACE)


def test_staff_reads_and_saves_searches_but_neither_pushes_nor_edits_actors() -> None:
    for p in (P.SEARCH, P.NOTICE_VIEW_MATCHES, P.ACTORS_VIEW, P.SOURCES_VIEW, P.SAVED_SEARCHES):
        assert can(STAFF, p), p
    assert can(STAFF, P.EXPORTS) and can(STAFF, P.API_TOKENS)
    for p in (P.NOTICE_PUSH, P.ACTORS_EDIT, P.ACTORS_IMPORT, P.USERS_MANAGE):
        assert not can(STAFF, p), p


def test_committee_is_read_only() -> None:
    for p in (P.SEARCH, P.NOTICE_VIEW_MATCHES, P.ACTORS_VIEW, P.SOURCES_VIEW, P.EXPORTS):
        assert can(COMMITTEE, p), p
    for p in (
        P.NOTICE_PUSH,
        P.ACTORS_EDIT,
        P.ACTORS_IMPORT,
        P.SAVED_SEARCHES,
        P.GROUPED_BIDS_EDIT,
        P.API_TOKENS,
        P.USERS_MANAGE,
    ):
        assert not can(COMMITTEE, p), p


def test_actor_has_its_own_space_only() -> None:
    assert [p for p in Permission if can(ACTOR, p)] == [P.OWN_SPACE]
    assert not can(user(Role.ACTOR, actor=None), P.OWN_SPACE)


def test_a_disabled_or_missing_user_may_do_nothing() -> None:
    disabled = OFFICER.model_copy(update={"active": False})
    assert not any(can(disabled, p) for p in Permission)
    assert not can(None, P.SEARCH)
    assert can(OFFICER, "notice.push")  # the string form, as stored or sent


def test_visible_territories_by_role() -> None:
    assert visible_territories(ADMIN) is None
    assert visible_territories(OFFICER) == {"valenciennes"}
    assert visible_territories(user(Role.STAFF, "mel")) == {"mel"}
    assert visible_territories(COMMITTEE) == {"valenciennes"}
    assert visible_territories(ACTOR) == set()
    assert own_actor(ACTOR) == "esat-jardins-escaut"
    assert own_actor(OFFICER) is None


def test_who_sees_an_actor() -> None:
    assert may_see_actor(ADMIN, "a", "mel")
    assert may_see_actor(OFFICER, "a", "valenciennes")
    assert not may_see_actor(OFFICER, "a", "mel")
    assert not may_see_actor(OFFICER, "a", None)
    assert may_see_actor(ACTOR, "esat-jardins-escaut", "valenciennes")
    assert not may_see_actor(ACTOR, "other", "valenciennes")


def test_plan_territory_validates_and_sorts_codes() -> None:
    t = PlanTerritory(
        id="mel", name="Métropole Européenne de Lille", departments=["59"], epcis=["200093201"]
    )
    assert t.epcis == ["200093201"]
    t = PlanTerritory(id="x", name="X", departments=["62", "59", "59"], communes=["59606"])
    assert t.departments == ["59", "62"]
    with pytest.raises(PydanticValidationError, match="identifiant de territoire invalide"):
        PlanTerritory(id="Valenciennes Métropole", name="V")
    with pytest.raises(PydanticValidationError, match="SIREN d'EPCI invalide"):
        PlanTerritory(id="v", name="V", epcis=["20006784"])
    with pytest.raises(PydanticValidationError, match="code INSEE"):
        PlanTerritory(id="v", name="V", communes=["596"])


def test_account_fields_must_agree_with_the_role() -> None:
    assert check_account_fields("a@b.test", Role.OFFICER, "valenciennes", None) == []
    assert check_account_fields("a@b.test", Role.ADMIN, None, None) == []
    (problem,) = check_account_fields("a@b.test", Role.STAFF, None, None)
    assert "territoire" in problem
    (problem,) = check_account_fields("a@b.test", Role.ACTOR, None, None)
    assert "structure" in problem
    (problem,) = check_account_fields("a@b.test", Role.OFFICER, "valenciennes", "x")
    assert "seul un compte" in problem
    (problem,) = check_account_fields("pas-une-adresse", Role.ADMIN, None, None)
    assert "adresse e-mail invalide" in problem
