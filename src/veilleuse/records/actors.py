"""Actor profiles: insert or update in place, list, get."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from sqlalchemy import select

from veilleuse.core.models import (
    Actor,
)
from veilleuse.records.db import Records
from veilleuse.records.tables import (
    ActorRow,
    utcnow,
)


def upsert_actors(records: Records, actors: Iterable[Actor]) -> tuple[int, int]:
    """Insert or update in place by id (or by SIRET when an existing actor has it).

    The rows the batch may touch are read in two queries up front, not one per actor.
    """
    actors = list(actors)
    created = updated = 0
    with records.session() as s:
        ids = {a.id for a in actors}
        sirets = {a.siret for a in actors if a.siret}
        by_id = {r.id: r for r in s.scalars(select(ActorRow).where(ActorRow.id.in_(ids)))}
        by_siret: dict[str, list[ActorRow]] = defaultdict(list)
        if sirets:
            query = select(ActorRow).where(ActorRow.siret.in_(sirets)).order_by(ActorRow.id)
            for r in s.scalars(query):
                by_siret[r.siret or ""].append(r)
        for actor in actors:
            row = by_id.get(actor.id)
            if row is None and actor.siret:
                # rows updated earlier in the batch may have changed SIRET since they were read
                row = next((r for r in by_siret[actor.siret] if r.siret == actor.siret), None)
                if row is not None:
                    actor = actor.model_copy(update={"id": row.id})
            payload = actor.model_dump(mode="json")
            if row is None:
                row = ActorRow(
                    id=actor.id,
                    siret=actor.siret,
                    name=actor.name,
                    family=actor.family.value,
                    profile=payload,
                )
                s.add(row)
                by_id[row.id] = row
                created += 1
            else:
                row.siret, row.name, row.family = actor.siret, actor.name, actor.family.value
                row.profile, row.updated_at = payload, utcnow()
                updated += 1
            if row.siret and row not in by_siret[row.siret]:
                by_siret[row.siret].append(row)
    return created, updated


def list_actors(records: Records, active_only: bool = True) -> list[Actor]:
    with records.session() as s:
        query = select(ActorRow).order_by(ActorRow.id)
        if active_only:
            query = query.where(ActorRow.active.is_(True))
        return [Actor.model_validate(r.profile) for r in s.scalars(query)]


def get_actor(records: Records, actor_id: str) -> Actor | None:
    with records.session() as s:
        row = s.get(ActorRow, actor_id)
        return Actor.model_validate(row.profile) if row else None


# --------------------------------------------------------------------------- web pages


@dataclass(frozen=True)
class ActorEntry:
    """A stored profile with what the records keep beside it."""

    actor: Actor
    active: bool


def actor_entries(records: Records, ids: Collection[str] | None = None) -> list[ActorEntry]:
    """Every stored actor (or those among `ids`), active or not, by id."""
    query = select(ActorRow).order_by(ActorRow.id)
    if ids is not None:
        query = query.where(ActorRow.id.in_(list(ids)))
    with records.session() as s:
        return [ActorEntry(Actor.model_validate(r.profile), r.active) for r in s.scalars(query)]


def get_actors(records: Records, ids: Collection[str]) -> list[Actor]:
    """The stored actors among `ids` (active or not), by id, in one query."""
    return [entry.actor for entry in actor_entries(records, ids)] if ids else []


def set_active(records: Records, actor_id: str, active: bool) -> None:
    """Switch an actor on or off: an inactive actor is neither matched nor sent digests."""
    with records.session() as s:
        row = s.get(ActorRow, actor_id)
        if row is not None and row.active != active:
            row.active, row.updated_at = active, utcnow()


def actors_with_sirets(records: Records, sirets: Collection[str]) -> dict[str, list[str]]:
    """SIRET → ids of the stored actors that have it (one query)."""
    found: dict[str, list[str]] = defaultdict(list)
    if sirets:
        query = select(ActorRow.siret, ActorRow.id).where(ActorRow.siret.in_(list(sirets)))
        with records.session() as s:
            for siret, actor_id in s.execute(query.order_by(ActorRow.id)):
                found[siret or ""].append(actor_id)
    return dict(found)
