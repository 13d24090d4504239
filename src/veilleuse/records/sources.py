"""Per-source run reports and incremental state (watermark, HTTP validators)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from veilleuse.records.db import Records
from veilleuse.records.tables import (
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
    with records.session() as s:
        rows = s.scalars(select(SourceRunRow).order_by(SourceRunRow.source, SourceRunRow.id.desc()))
        seen: dict[str, int] = {}
        out = []
        for r in rows:
            if seen.get(r.source, 0) >= limit_per_source:
                continue
            seen[r.source] = seen.get(r.source, 0) + 1
            out.append(
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
            )
        return out


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
