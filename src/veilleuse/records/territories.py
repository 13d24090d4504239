"""Served territories and which one each actor belongs to."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select

from veilleuse.core.accounts import PlanTerritory
from veilleuse.records.db import Records
from veilleuse.records.tables import ActorTerritoryRow, TerritoryRow


def _territory(row: TerritoryRow) -> PlanTerritory:
    return PlanTerritory(
        id=row.id,
        name=row.name,
        departments=list(row.departments),
        communes=list(row.communes),
        epcis=list(row.epcis),
    )


def upsert_territory(records: Records, territory: PlanTerritory) -> bool:
    """Insert or update in place by id; True when it was created."""
    with records.session() as s:
        row = s.get(TerritoryRow, territory.id)
        created = row is None
        if row is None:
            row = TerritoryRow(id=territory.id)
            s.add(row)
        row.name = territory.name
        row.departments = list(territory.departments)
        row.communes = list(territory.communes)
        row.epcis = list(territory.epcis)
        return created


def list_territories(records: Records) -> list[PlanTerritory]:
    with records.session() as s:
        return [_territory(r) for r in s.scalars(select(TerritoryRow).order_by(TerritoryRow.name))]


def get_territory(records: Records, territory_id: str) -> PlanTerritory | None:
    with records.session() as s:
        row = s.get(TerritoryRow, territory_id)
        return _territory(row) if row else None


def set_actor_territory(records: Records, actor_id: str, territory_id: str | None) -> None:
    """Assign an actor to a territory (one each), or unassign it with None."""
    with records.session() as s:
        row = s.get(ActorTerritoryRow, actor_id)
        if territory_id is None:
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(ActorTerritoryRow(actor_id=actor_id, territory_id=territory_id))
        else:
            row.territory_id = territory_id


def set_actor_territories(records: Records, assignments: dict[str, str]) -> None:
    """Assign many actors at once (actor id → territory id), in one transaction."""
    if not assignments:
        return
    with records.session() as s:
        s.execute(
            delete(ActorTerritoryRow).where(ActorTerritoryRow.actor_id.in_(list(assignments)))
        )
        s.add_all(ActorTerritoryRow(actor_id=a, territory_id=t) for a, t in assignments.items())


def territories_of_actors(records: Records, actor_ids: Iterable[str]) -> dict[str, str]:
    """Actor id → territory id for the given actors (one query; unassigned actors are absent)."""
    ids = list(dict.fromkeys(actor_ids))
    if not ids:
        return {}
    with records.session() as s:
        rows = s.execute(
            select(ActorTerritoryRow.actor_id, ActorTerritoryRow.territory_id).where(
                ActorTerritoryRow.actor_id.in_(ids)
            )
        )
        return {actor_id: territory_id for actor_id, territory_id in rows}


def actor_ids_in(records: Records, territory_ids: Iterable[str]) -> set[str]:
    """Ids of the actors assigned to any of the given territories."""
    ids = list(territory_ids)
    if not ids:
        return set()
    with records.session() as s:
        return set(
            s.scalars(
                select(ActorTerritoryRow.actor_id).where(ActorTerritoryRow.territory_id.in_(ids))
            )
        )
