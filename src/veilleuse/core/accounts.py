"""Accounts and served territories: roles, what each role may do, which territories it sees.

Pure rules, decided once here and used by every front end (web pages, JSON API, CLI): a page
asks `can(user, Permission.X)`, a query narrows itself with `visible_territories(user)`.
The permission table is data (`ROLE_PERMISSIONS`), so a reviewer reads the whole policy at once.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Role(StrEnum):
    """Who a user is for the application; one role per account."""

    ADMIN = "admin"
    OFFICER = "officer"
    STAFF = "staff"
    COMMITTEE = "committee"
    ACTOR = "actor"

    @property
    def label(self) -> str:
        """The French name of the role, as shown in pages."""
        return ROLE_LABELS[self]


ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "administrateur·rice",
    Role.OFFICER: "chargé·e de veille",
    Role.STAFF: "équipe du réseau",
    Role.COMMITTEE: "comité de pilotage",
    Role.ACTOR: "structure de l'ESS",
}


class Permission(StrEnum):
    """Something a page or an API call does; granted to roles by `ROLE_PERMISSIONS`."""

    SEARCH = "search"
    NOTICE_VIEW_MATCHES = "notice.view_matches"
    NOTICE_PUSH = "notice.push"
    ACTORS_VIEW = "actors.view"
    ACTORS_EDIT = "actors.edit"
    ACTORS_IMPORT = "actors.import"
    ACTORS_EXPORT = "actors.export"
    SOURCES_VIEW = "sources.view"
    SAVED_SEARCHES = "saved_searches"
    EXPORTS = "exports"
    GROUPED_BIDS_VIEW = "grouped_bids.view"
    GROUPED_BIDS_EDIT = "grouped_bids.edit"
    REPORTS_VIEW = "reports.view"
    #: set the local ESS plan's targets the committee's statistics are compared with (admin)
    TARGETS_EDIT = "targets.edit"
    USERS_MANAGE = "users.manage"
    API_TOKENS = "api_tokens"
    #: the actor's own space: its profile, its matches, its digest preferences
    OWN_SPACE = "own_space"


_STAFF = frozenset(
    {
        Permission.SEARCH,
        Permission.NOTICE_VIEW_MATCHES,
        Permission.ACTORS_VIEW,
        Permission.SOURCES_VIEW,
        Permission.SAVED_SEARCHES,
        Permission.EXPORTS,
        Permission.GROUPED_BIDS_VIEW,
        Permission.GROUPED_BIDS_EDIT,
        Permission.REPORTS_VIEW,
        Permission.API_TOKENS,
    }
)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    # everything but the actor's own space, which needs an account linked to an actor
    Role.ADMIN: frozenset(Permission) - {Permission.OWN_SPACE},
    Role.OFFICER: _STAFF
    | {
        Permission.NOTICE_PUSH,
        Permission.ACTORS_EDIT,
        Permission.ACTORS_IMPORT,
        Permission.ACTORS_EXPORT,
    },
    Role.STAFF: _STAFF,
    # read-only: no edit, no push, no saved search, no token
    Role.COMMITTEE: frozenset(
        {
            Permission.SEARCH,
            Permission.NOTICE_VIEW_MATCHES,
            Permission.ACTORS_VIEW,
            Permission.SOURCES_VIEW,
            Permission.EXPORTS,
            Permission.GROUPED_BIDS_VIEW,
            Permission.REPORTS_VIEW,
        }
    ),
    Role.ACTOR: frozenset({Permission.OWN_SPACE}),
}

#: roles whose account belongs to one served territory (and sees only its actors)
TERRITORY_ROLES = frozenset({Role.OFFICER, Role.STAFF, Role.COMMITTEE})

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_DEPARTMENT = re.compile(r"^(?:\d{2}|2A|2B|97\d)$")
_INSEE = re.compile(r"^(?:\d{5}|2A\d{3}|2B\d{3})$")
_SIREN = re.compile(r"^\d{9}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class User(BaseModel):
    """An account as the application sees it (never its password hash)."""

    model_config = ConfigDict(frozen=True)

    id: int
    email: str
    name: str = ""
    role: Role
    territory_id: str | None = None
    actor_id: str | None = None
    active: bool = True
    created_at: datetime | None = None
    #: a session issued before this instant is no longer valid
    password_changed_at: datetime | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.email


class ApiToken(BaseModel):
    """A personal API token as listed to its owner: a name and a prefix, never the token."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class PlanTerritory(BaseModel):
    """A territory the deployment serves (the area of an ESS plan): its départements, communes
    (INSEE codes) and EPCI (SIREN). Named `PlanTerritory` to keep it apart from an actor's
    `Territory` (where the actor works)."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Slug: lower-case letters, digits and hyphens")
    name: str
    departments: list[str] = Field(default_factory=list)
    communes: list[str] = Field(default_factory=list, description="INSEE codes")
    epcis: list[str] = Field(default_factory=list, description="SIREN of the EPCI")

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError(
                f"identifiant de territoire invalide : {value!r} (ex. « valenciennes »)"
            )
        return value

    @field_validator("departments")
    @classmethod
    def _departments(cls, values: list[str]) -> list[str]:
        return _checked(values, _DEPARTMENT, "département")

    @field_validator("communes")
    @classmethod
    def _communes(cls, values: list[str]) -> list[str]:
        return _checked(values, _INSEE, "code INSEE de commune")

    @field_validator("epcis")
    @classmethod
    def _epcis(cls, values: list[str]) -> list[str]:
        return _checked(values, _SIREN, "SIREN d'EPCI")


def _checked(values: list[str], pattern: re.Pattern[str], what: str) -> list[str]:
    cleaned = [v.strip().upper() for v in values]
    for value in cleaned:
        if not pattern.match(value):
            raise ValueError(f"{what} invalide : {value!r}")
    return sorted(set(cleaned))


# --------------------------------------------------------------------------- rules


def can(user: User | None, permission: Permission | str) -> bool:
    """Whether `user` may do `permission` (a disabled or missing user may do nothing)."""
    if user is None or not user.active:
        return False
    granted = ROLE_PERMISSIONS[user.role]
    if Permission(permission) is Permission.OWN_SPACE:
        return Permission.OWN_SPACE in granted and user.actor_id is not None
    return Permission(permission) in granted


def visible_territories(user: User) -> set[str] | None:
    """Territories whose actors, matches and grouped bids `user` sees: None means all (admin).

    Officers, staff and the committee see their own territory; an actor account sees no
    territory-wide data (only its own actor: `own_actor`). Notices are shared by all.
    """
    if user.role is Role.ADMIN:
        return None
    if user.role in TERRITORY_ROLES and user.territory_id:
        return {user.territory_id}
    return set()


def own_actor(user: User) -> str | None:
    """The actor whose profile, matches and preferences an actor account may see and edit."""
    return user.actor_id if user.role is Role.ACTOR else None


def may_see_actor(user: User, actor_id: str, actor_territory: str | None) -> bool:
    """Whether `user` sees the actor `actor_id`, which belongs to `actor_territory`."""
    if user.role is Role.ACTOR:
        return user.actor_id == actor_id
    territories = visible_territories(user)
    return territories is None or actor_territory in territories


def check_account_fields(
    email: str, role: Role, territory_id: str | None, actor_id: str | None
) -> list[str]:
    """French problems with an account's fields (empty when it is consistent)."""
    problems: list[str] = []
    if not _EMAIL.match(email):
        problems.append(f"adresse e-mail invalide : {email!r}")
    if role in TERRITORY_ROLES and not territory_id:
        problems.append(f"un compte « {role.label} » doit être rattaché à un territoire")
    if role is Role.ACTOR and not actor_id:
        problems.append("un compte « structure de l'ESS » doit être lié à une structure")
    if role is not Role.ACTOR and actor_id:
        problems.append("seul un compte « structure de l'ESS » peut être lié à une structure")
    return problems


def normalise_email(email: str) -> str:
    """E-mail addresses are compared trimmed and lower-cased."""
    return email.strip().lower()
