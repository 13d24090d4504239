"""Served territories and the assignment of actors to them (who sees which actors)."""

from __future__ import annotations

from collections.abc import Iterable

from veilleuse.app.context import Context
from veilleuse.core.accounts import PlanTerritory, User, own_actor, visible_territories
from veilleuse.core.errors import NotFoundError
from veilleuse.records import actors as actor_records
from veilleuse.records import territories as territory_records

#: The two territories whose ESS plans the product is built for (EPCI SIREN from the national
#: register of EPCI; the commune lists are left empty: an actor belongs to a territory by
#: assignment, not by a commune lookup).
DEMO_TERRITORIES = (
    PlanTerritory(
        id="valenciennes",
        name="Valenciennes Métropole",
        departments=["59"],
        epcis=["200067846"],
    ),
    PlanTerritory(
        id="mel",
        name="Métropole Européenne de Lille",
        departments=["59"],
        epcis=["200093201"],
    ),
)

#: Communes of the demo actors that lie in the Métropole Européenne de Lille. The demo
#: assignment is INVENTED for the demonstration: demo actors of these communes go to `mel`, every
#: other demo actor (even outside the Nord) to `valenciennes`, so that both officers see actors.
_DEMO_MEL_COMMUNES = frozenset(
    {"lille", "roubaix", "tourcoing", "villeneuve-d'ascq", "lomme", "wattrelos", "marcq-en-baroeul"}
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


def seed_demo_territories(ctx: Context) -> tuple[int, int]:
    """Create the demo territories and assign the stored actors to them (invented assignment).

    Returns (territories created, actors assigned). Actors already assigned keep their territory.
    """
    created = sum(ensure_territory(ctx, t) for t in DEMO_TERRITORIES)
    actors = actor_records.list_actors(ctx.records, active_only=False)
    assigned = territories_of_actors(ctx, (a.id for a in actors))
    todo = {
        a.id: "mel" if (a.territory.commune or "").lower() in _DEMO_MEL_COMMUNES else "valenciennes"
        for a in actors
        if a.id not in assigned
    }
    territory_records.set_actor_territories(ctx.records, todo)
    return created, len(todo)
