"""Targets of the territories' local ESS plans (`app.plan_targets` decides what they mean)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select

from veilleuse.records.db import Records
from veilleuse.records.tables import PlanTargetRow, utcnow


@dataclass(frozen=True)
class StoredTarget:
    id: int
    territory_id: str
    starts_on: date
    ends_on: date
    metric: str
    value: float
    updated_by: str | None = None


def _plain(row: PlanTargetRow) -> StoredTarget:
    return StoredTarget(
        row.id, row.territory_id, row.starts_on, row.ends_on, row.metric, row.value, row.updated_by
    )


def set_target(
    records: Records,
    territory_id: str,
    starts_on: date,
    ends_on: date,
    metric: str,
    value: float,
    by: str | None = None,
) -> tuple[int, bool]:
    """Set the target of `metric` for the territory over these days, replacing the one set
    for exactly the same days; returns (its id, True when it was created)."""
    with records.session() as s:
        row = s.scalars(
            select(PlanTargetRow).where(
                PlanTargetRow.territory_id == territory_id,
                PlanTargetRow.starts_on == starts_on,
                PlanTargetRow.ends_on == ends_on,
                PlanTargetRow.metric == metric,
            )
        ).first()
        created = row is None
        if row is None:
            row = PlanTargetRow(
                territory_id=territory_id, starts_on=starts_on, ends_on=ends_on, metric=metric
            )
            s.add(row)
        row.value, row.updated_at, row.updated_by = value, utcnow(), by
        s.flush()
        return int(row.id), created


def list_targets(
    records: Records, territory_ids: Collection[str] | None = None
) -> list[StoredTarget]:
    """The targets of these territories (None: all), by territory, period and metric: one
    query."""
    query = select(PlanTargetRow).order_by(
        PlanTargetRow.territory_id,
        PlanTargetRow.starts_on,
        PlanTargetRow.ends_on,
        PlanTargetRow.metric,
    )
    if territory_ids is not None:
        query = query.where(PlanTargetRow.territory_id.in_(list(territory_ids)))
    with records.session() as s:
        return [_plain(r) for r in s.scalars(query)]


def targets_overlapping(
    records: Records, territory_id: str, first: date, last: date
) -> list[StoredTarget]:
    """The territory's targets whose days meet [first, last]: one query."""
    query = select(PlanTargetRow).where(
        PlanTargetRow.territory_id == territory_id,
        PlanTargetRow.starts_on <= last,
        PlanTargetRow.ends_on >= first,
    )
    with records.session() as s:
        return [_plain(r) for r in s.scalars(query.order_by(PlanTargetRow.id))]


def get_target(records: Records, target_id: int) -> StoredTarget | None:
    with records.session() as s:
        row = s.get(PlanTargetRow, target_id)
        return _plain(row) if row else None


def delete_target(records: Records, target_id: int) -> bool:
    """Remove a target; False when there was none with this id."""
    with records.session() as s:
        result = s.execute(delete(PlanTargetRow).where(PlanTargetRow.id == target_id))
        return bool(result.rowcount)  # type: ignore[attr-defined]
