"""Actor profiles as the network's staff manage them: list and read them.

Every function takes the signed-in user: an actor outside the user's territories is
`NotFoundError` (a page answers 404, never 403, so its existence does not show), and a role
without the permission is `PermissionDeniedError` (`need_permission`, `visible_entry`, shared
with the edit form). Profiles are edited by `app.actor_edit`, files imported by
`app.actor_import`; CPV codes are looked up by `app.cpv_search`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from veilleuse.app.context import Context
from veilleuse.app.notices import CpvLine, cpv_lines
from veilleuse.app.territories import visible_actor_ids
from veilleuse.core.accounts import Permission, PlanTerritory, User, can, visible_territories
from veilleuse.core.errors import NotFoundError, PermissionDeniedError
from veilleuse.core.models import Actor, EssFamily, Match, Notice
from veilleuse.core.normalise import fold
from veilleuse.matching.reasons import reason_text
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.records import territories as territory_records
from veilleuse.records.actors import ActorEntry

FAMILY_LABELS: dict[EssFamily, str] = {
    EssFamily.ASSOCIATION: "Association",
    EssFamily.SCOP: "SCOP",
    EssFamily.SCIC: "SCIC",
    EssFamily.COOPERATIVE: "Coopérative",
    EssFamily.MUTUAL: "Mutuelle",
    EssFamily.FOUNDATION: "Fondation",
    EssFamily.ESUS: "Entreprise ESUS",
    EssFamily.SIAE_EI: "Entreprise d'insertion (EI)",
    EssFamily.SIAE_ACI: "Atelier et chantier d'insertion (ACI)",
    EssFamily.SIAE_AI: "Association intermédiaire (AI)",
    EssFamily.SIAE_ETTI: "Entreprise de travail temporaire d'insertion (ETTI)",
    EssFamily.GEIQ: "GEIQ",
    EssFamily.ESAT: "ESAT",
    EssFamily.EA: "Entreprise adaptée (EA)",
}


def need_permission(user: User, permission: Permission) -> None:
    if not can(user, permission):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas cette action sur les structures."
        )


def visible_entry(ctx: Context, user: User, actor_id: str) -> ActorEntry:
    """The stored actor if `user` may see it, else NotFoundError (also for a foreign one)."""
    allowed = visible_actor_ids(ctx, user)
    found = actor_records.actor_entries(ctx.records, [actor_id])
    if not found or (allowed is not None and actor_id not in allowed):
        raise NotFoundError(f"structure inconnue : {actor_id!r}")
    return found[0]


def territories_for(ctx: Context, user: User) -> list[PlanTerritory]:
    """The served territories `user` sees (all of them for an administrator)."""
    everything = territory_records.list_territories(ctx.records)
    seen = visible_territories(user)
    return everything if seen is None else [t for t in everything if t.id in seen]


# --------------------------------------------------------------------------- list


@dataclass
class ActorFilters:
    """The filters of the actor list (all optional, combined with AND)."""

    family: EssFamily | None = None
    territory: str | None = None
    #: CPV code prefix, e.g. "7731" (digits only)
    cpv: str | None = None
    active: bool | None = None
    #: words of the name (accents and case ignored)
    text: str | None = None


@dataclass
class ActorLine:
    actor: Actor
    active: bool
    territory: PlanTerritory | None


def list_actors(ctx: Context, user: User, filters: ActorFilters | None = None) -> list[ActorLine]:
    """The actors of the user's territories that pass `filters`, by name."""
    need_permission(user, Permission.ACTORS_VIEW)
    filters = filters or ActorFilters()
    allowed = visible_actor_ids(ctx, user)
    entries = actor_records.actor_entries(ctx.records, allowed)
    where = territory_records.territories_of_actors(ctx.records, (e.actor.id for e in entries))
    territories = {t.id: t for t in territory_records.list_territories(ctx.records)}
    words = fold(filters.text or "").split()
    prefix = "".join(c for c in filters.cpv or "" if c.isdigit())
    lines = []
    for entry in entries:
        actor = entry.actor
        if filters.family is not None and actor.family != filters.family:
            continue
        if filters.territory and where.get(actor.id) != filters.territory:
            continue
        if prefix and not any(code.startswith(prefix) for code in actor.cpv_codes()):
            continue
        if filters.active is not None and entry.active != filters.active:
            continue
        name = fold(f"{actor.name} {actor.id}")
        if any(word not in name for word in words):
            continue
        territory = territories.get(where.get(actor.id, ""))
        lines.append(ActorLine(actor, entry.active, territory))
    return sorted(lines, key=lambda line: (fold(line.actor.name), line.actor.id))


# --------------------------------------------------------------------------- profile


@dataclass
class ActorMatch:
    match: Match
    notice: Notice | None
    reasons: list[str]


@dataclass
class ActorProfile:
    actor: Actor
    active: bool
    territory: PlanTerritory | None
    cpv: list[CpvLine]
    #: its latest matches, best first
    matches: list[ActorMatch] = field(default_factory=list)


def actor_profile(ctx: Context, actor_id: str, user: User, matches: int = 20) -> ActorProfile:
    """One actor's profile with its latest matches (NotFoundError outside the user's reach)."""
    need_permission(user, Permission.ACTORS_VIEW)
    entry = visible_entry(ctx, user, actor_id)
    actor = entry.actor
    where = territory_records.territories_of_actors(ctx.records, [actor.id]).get(actor.id)
    territory = territory_records.get_territory(ctx.records, where) if where else None
    found = match_records.load_matches(ctx.records, actor.id)[:matches]
    notices = {n.uid: n for n in ctx.store.get_many([m.notice_uid for m in found])}
    return ActorProfile(
        actor,
        entry.active,
        territory,
        cpv_lines(actor.cpv_codes()),
        [
            ActorMatch(
                m,
                notices.get(m.notice_uid),
                [
                    t
                    for t in (reason_text(r) for r in sorted(m.reasons, key=lambda r: -r.weight))
                    if t
                ],
            )
            for m in found
        ],
    )
