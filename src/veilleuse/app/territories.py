"""Served territories and the assignment of actors to them (who sees which actors)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from veilleuse.app.context import Context
from veilleuse.core import territory as geo_territory
from veilleuse.core.accounts import PlanTerritory, User, own_actor, visible_territories
from veilleuse.core.errors import NotFoundError
from veilleuse.core.models import Actor
from veilleuse.records import actors as actor_records
from veilleuse.records import territories as territory_records

#: The two territories whose ESS plans the product is built for, as EPCI (SIREN from the DGCL
#: list in `config/data/geo/`); their communes are the EPCI's members (35 and 95). "59" is the
#: département they lie in (the statistics' local notices), not a widening of the territory.
DEMO_TERRITORIES = (
    PlanTerritory(
        id="valenciennes",
        name="Valenciennes Métropole",
        departments=["59"],
        epcis=["245901160"],
    ),
    PlanTerritory(
        id="mel",
        name="Métropole Européenne de Lille",
        departments=["59"],
        epcis=["200093201"],
    ),
)


def ensure_territory(ctx: Context, territory: PlanTerritory) -> bool:
    """Create or update a territory by id; True when it was created."""
    return territory_records.upsert_territory(ctx.records, territory)


def list_territories(ctx: Context) -> list[PlanTerritory]:
    return territory_records.list_territories(ctx.records)


def get_territory(ctx: Context, territory_id: str) -> PlanTerritory:
    territory = territory_records.get_territory(ctx.records, territory_id)
    if territory is None:
        raise NotFoundError(f"territoire inconnu : {territory_id!r}")
    return territory


def assign_actor(ctx: Context, actor_id: str, territory_id: str) -> None:
    """Make `actor_id` belong to `territory_id` (both must exist)."""
    get_territory(ctx, territory_id)
    if actor_records.get_actor(ctx.records, actor_id) is None:
        raise NotFoundError(f"structure inconnue : {actor_id!r}")
    territory_records.set_actor_territory(ctx.records, actor_id, territory_id)


def territories_of_actors(ctx: Context, actor_ids: Iterable[str]) -> dict[str, str]:
    """Actor id → territory id, in one query (unassigned actors are absent)."""
    return territory_records.territories_of_actors(ctx.records, actor_ids)


def actor_ids_in(ctx: Context, territory_ids: Iterable[str]) -> set[str]:
    return territory_records.actor_ids_in(ctx.records, territory_ids)


def visible_actor_ids(ctx: Context, user: User) -> set[str] | None:
    """The actors `user` may see: None means every actor (admin)."""
    actor = own_actor(user)
    if actor is not None:
        return {actor}
    territories = visible_territories(user)
    if territories is None:
        return None
    return territory_records.actor_ids_in(ctx.records, territories)


def visible_among(ctx: Context, user: User, actor_ids: set[str]) -> set[str]:
    """Those of `actor_ids` that `user` may see."""
    allowed = visible_actor_ids(ctx, user)
    return actor_ids if allowed is None else actor_ids & allowed


Members = Sequence[tuple[str, frozenset[str]]]


def members_of(served: Iterable[PlanTerritory]) -> Members:
    """(territory id, its INSEE codes) of each territory, resolved once for many actors."""
    return [(t.id, geo_territory.territory_communes(t)) for t in served]


def territory_of_actor(actor: Actor, served: Members) -> str | None:
    """The served territory the actor's commune lies in (its name, told apart from homonyms by
    its départements), or None: outside every territory, or a commune the data does not know."""
    commune = geo_territory.locate_commune(actor.territory.commune, actor.territory.departments)
    if commune is None:
        return None
    return next((tid for tid, codes in served if commune.insee in codes), None)


def assign_by_place(ctx: Context) -> dict[str, str]:
    """Assign the unassigned actors to the stored territory their commune lies in; actor id →
    territory id of those assigned. Actors outside every territory stay unassigned (only the
    administrator sees them)."""
    served = members_of(list_territories(ctx))
    actors = actor_records.list_actors(ctx.records, active_only=False)
    assigned = territories_of_actors(ctx, (a.id for a in actors))
    todo = {
        a.id: found
        for a in actors
        if a.id not in assigned and (found := territory_of_actor(a, served)) is not None
    }
    territory_records.set_actor_territories(ctx.records, todo)
    return todo


def place_actors(ctx: Context, actor_ids: Iterable[str]) -> None:
    """Set these actors' territory from their place again, unassigning those outside every
    territory (the demo's actors in a data folder seeded by an older demo)."""
    served = members_of(list_territories(ctx))
    for actor_id in actor_ids:
        actor = actor_records.get_actor(ctx.records, actor_id)
        if actor is not None:
            territory_records.set_actor_territory(
                ctx.records, actor_id, territory_of_actor(actor, served)
            )


def seed_demo_territories(ctx: Context) -> tuple[int, int]:
    """Create the demo territories (Valenciennes Métropole and the MEL) and assign the stored
    actors by where they are: the constructed demo actors lie in the two territories, the real
    insertion structures of the samples (Pas-de-Calais, Bas-Rhin, Seine-Saint-Denis) in neither.

    Returns (territories created, actors assigned). Actors already assigned keep their territory.
    """
    created = sum(ensure_territory(ctx, t) for t in DEMO_TERRITORIES)
    return created, len(assign_by_place(ctx))
