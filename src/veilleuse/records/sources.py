"""Per-source run reports, incremental state (watermark, HTTP validators) and the cross-source
duplicate rates the index stage computes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select

from veilleuse.records.db import Records
from veilleuse.records.tables import (
    DuplicateRateRow,
    SourceRunRow,
    SourceStateRow,
    utcnow,
)


@dataclass
class SourceRun:
    source: str
    status: str
    started_at: datetime
    finished_at: datetime | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    duration_s: float = 0.0


def record_source_run(records: Records, run: SourceRun) -> None:
    with records.session() as s:
        s.add(
            SourceRunRow(
                source=run.source,
                status=run.status,
                started_at=run.started_at,
                finished_at=run.finished_at or utcnow(),
                fetched=run.fetched,
                new=run.new,
                updated=run.updated,
                unchanged=run.unchanged,
                rejected=run.rejected,
                problems=run.problems[:200],
                duration_s=run.duration_s,
            )
        )


def last_source_runs(records: Records, limit_per_source: int = 1) -> list[SourceRun]:
    """The latest `limit_per_source` runs of every source, by source then newest first.

    The database keeps only those rows (a window over each source's runs), so the cost follows
    the number of sources, not the length of the history.
    """
    rank = (
        func.row_number()
        .over(partition_by=SourceRunRow.source, order_by=SourceRunRow.id.desc())
        .label("rank")
    )
    ranked = select(SourceRunRow.id, rank).subquery()
    query = (
        select(SourceRunRow)
        .join(ranked, ranked.c.id == SourceRunRow.id)
        .where(ranked.c.rank <= limit_per_source)
        .order_by(SourceRunRow.source, SourceRunRow.id.desc())
    )
    with records.session() as s:
        return [
            SourceRun(
                r.source,
                r.status,
                r.started_at,
                r.finished_at,
                r.fetched,
                r.new,
                r.updated,
                r.unchanged,
                r.rejected,
                list(r.problems),
                r.duration_s,
            )
            for r in s.scalars(query)
        ]


def get_source_state(records: Records, source: str) -> dict[str, Any]:
    with records.session() as s:
        row = s.get(SourceStateRow, source)
        if row is None:
            return {}
        return {"watermark": row.watermark, "etag": row.etag, "last_modified": row.last_modified}


def set_source_state(records: Records, source: str, **values: str | None) -> None:
    with records.session() as s:
        row = s.get(SourceStateRow, source)
        if row is None:
            row = SourceStateRow(source=source)
            s.add(row)
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()


def all_source_states(records: Records) -> dict[str, dict[str, Any]]:
    """Every source's incremental state in one query, by source name."""
    with records.session() as s:
        return {
            row.source: {
                "watermark": row.watermark,
                "etag": row.etag,
                "last_modified": row.last_modified,
            }
            for row in s.scalars(select(SourceStateRow))
        }


def last_complete_runs(records: Records) -> dict[str, datetime]:
    """When each source last finished a COMPLETE run (sources never complete are absent)."""
    query = (
        select(SourceRunRow.source, func.max(SourceRunRow.finished_at))
        .where(SourceRunRow.status == "COMPLETE")
        .group_by(SourceRunRow.source)
    )
    with records.session() as s:
        return {
            source: at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite drops the offset
            for source, at in s.execute(query)
            if at is not None
        }


def replace_duplicate_rates(
    records: Records, rates: Mapping[tuple[str, str], float], at: datetime | None = None
) -> None:
    """Store the rates of this index run in place of the previous ones (one transaction).

    `rates` maps (source, other source) to the share of the first's notices also published by
    the second (`spiders.dedup.linked_duplicate_rates`); pairs left out are dropped."""
    when = at or utcnow()
    with records.session() as s:
        s.execute(delete(DuplicateRateRow))
        s.add_all(
            DuplicateRateRow(left=left, right=right, rate=rate, computed_at=when)
            for (left, right), rate in rates.items()
        )


def duplicate_rates(records: Records) -> dict[tuple[str, str], float]:
    """The duplicate rates of the last index run, by (source, other source), in pair order."""
    query = select(DuplicateRateRow).order_by(DuplicateRateRow.left, DuplicateRateRow.right)
    with records.session() as s:
        return {(row.left, row.right): row.rate for row in s.scalars(query)}
