"""Actor profiles: insert or update in place, list, get."""

from __future__ import annotations

from collections.abc import Iterable

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
    """Insert or update in place by id (or by SIRET when an existing actor has it)."""
    created = updated = 0
    with records.session() as s:
        for actor in actors:
            row = s.get(ActorRow, actor.id)
            if row is None and actor.siret:
                row = s.scalars(select(ActorRow).where(ActorRow.siret == actor.siret)).first()
                if row is not None:
                    actor = actor.model_copy(update={"id": row.id})
            payload = actor.model_dump(mode="json")
            if row is None:
                s.add(
                    ActorRow(
                        id=actor.id,
                        siret=actor.siret,
                        name=actor.name,
                        family=actor.family.value,
                        profile=payload,
                    )
                )
                created += 1
            else:
                row.siret, row.name, row.family = actor.siret, actor.name, actor.family.value
                row.profile, row.updated_at = payload, utcnow()
                updated += 1
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
