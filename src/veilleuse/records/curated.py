"""The network's curated digests: what the officer picked, wrote and for whom.

Each actor's copy is a row of `digests` (kind `curated`, id `diffusion-<id>:<actor id>`) with
its items in `digest_items` — the send log of the weekly digests (`records.digest_log.
reserve_digest`), so a notice is announced to an actor once, whichever e-mail carried it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select

from veilleuse.records.db import Records
from veilleuse.records.tables import CuratedDigestRow, DigestItemRow, DigestRow, PushRow


@dataclass(frozen=True)
class CuratedDigest:
    id: int
    territory_id: str
    families: list[str]
    cpv_divisions: list[str]
    editorial: str
    notice_uids: list[str]
    status: str  # sending | sent
    created_by: str | None
    created_at: datetime
    sent_at: datetime | None

    @property
    def prefix(self) -> str:
        """The start of every copy's id (`copy_id`)."""
        return f"diffusion-{self.id}:"

    def copy_id(self, actor_id: str) -> str:
        return f"{self.prefix}{actor_id}"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite drops the offset
        return value.replace(tzinfo=UTC)
    return value


def _curated(row: CuratedDigestRow) -> CuratedDigest:
    created = _aware(row.created_at)
    assert created is not None
    return CuratedDigest(
        row.id,
        row.territory_id,
        list(row.families),
        list(row.cpv_divisions),
        row.editorial,
        list(row.notice_uids),
        row.status,
        row.created_by,
        created,
        _aware(row.sent_at),
    )


def create_curated(
    records: Records,
    territory_id: str,
    families: Sequence[str],
    cpv_divisions: Sequence[str],
    editorial: str,
    notice_uids: Sequence[str],
    created_by: str | None,
    at: datetime,
) -> CuratedDigest:
    with records.session() as s:
        row = CuratedDigestRow(
            territory_id=territory_id,
            families=list(families),
            cpv_divisions=list(cpv_divisions),
            editorial=editorial,
            notice_uids=list(notice_uids),
            status="sending",
            created_by=created_by,
            created_at=at,
        )
        s.add(row)
        s.flush()
        return _curated(row)


def get_curated(records: Records, curated_id: int) -> CuratedDigest | None:
    with records.session() as s:
        row = s.get(CuratedDigestRow, curated_id)
        return _curated(row) if row else None


def list_curated(
    records: Records, territory_ids: Collection[str] | None, limit: int = 50
) -> list[CuratedDigest]:
    """The latest curated digests (of these territories; None: all), newest first."""
    query = select(CuratedDigestRow).order_by(CuratedDigestRow.id.desc()).limit(limit)
    if territory_ids is not None:
        query = query.where(CuratedDigestRow.territory_id.in_(list(territory_ids)))
    with records.session() as s:
        return [_curated(r) for r in s.scalars(query)]


def mark_sent(records: Records, curated_id: int, at: datetime) -> None:
    with records.session() as s:
        row = s.get(CuratedDigestRow, curated_id)
        if row is not None:
            row.status, row.sent_at = "sent", at


@dataclass(frozen=True)
class CopyCounts:
    """The copies of one curated digest in the log, by status."""

    by_status: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def copies(records: Records, curated: CuratedDigest) -> dict[str, str]:
    """Actor id → status of its copy in the log (pending, sent, failed…): one query."""
    query = select(DigestRow.actor_id, DigestRow.status).where(
        DigestRow.digest_id.like(curated.prefix + "%"), DigestRow.kind == "curated"
    )
    with records.session() as s:
        return {actor_id: status for actor_id, status in s.execute(query)}


def copy_counts(records: Records, curated_ids: Collection[int]) -> dict[int, CopyCounts]:
    """For each curated digest, its copies by status (one query for all)."""
    if not curated_ids:
        return {}
    with records.session() as s:
        rows = s.execute(
            select(DigestRow.digest_id, DigestRow.status).where(DigestRow.kind == "curated")
        )
        found: dict[int, dict[str, int]] = {i: {} for i in curated_ids}
        for digest_id, status in rows:
            head = digest_id.split(":", 1)[0].removeprefix("diffusion-")
            if head.isdigit() and int(head) in found:
                counts = found[int(head)]
                counts[status] = counts.get(status, 0) + 1
    return {i: CopyCounts(c) for i, c in found.items()}


def pushed_notices(
    records: Records, actor_ids: Collection[str], since: datetime, limit: int = 50
) -> list[tuple[str, int, datetime]]:
    """(notice uid, actors it was pushed to, latest push) of the notices pushed to these actors
    since `since`, latest first: the officer's candidates for a curated digest. One query."""
    if not actor_ids:
        return []
    latest = func.max(PushRow.at)
    query = (
        select(PushRow.notice_uid, func.count(PushRow.id), latest)
        .where(PushRow.actor_id.in_(list(actor_ids)), PushRow.at >= since)
        .group_by(PushRow.notice_uid)
        .order_by(latest.desc())
        .limit(limit)
    )
    with records.session() as s:
        out = []
        for uid, count, at in s.execute(query):
            aware = _aware(at)
            assert aware is not None
            out.append((uid, int(count), aware))
        return out


def announced(records: Records, actor_ids: Collection[str]) -> dict[str, set[str]]:
    """Actor id → every notice already announced to it (the send log, pending included), for
    all of `actor_ids` in one query."""
    found: dict[str, set[str]] = {a: set() for a in actor_ids}
    if not actor_ids:
        return found
    query = select(DigestItemRow.actor_id, DigestItemRow.notice_uid).where(
        DigestItemRow.actor_id.in_(list(actor_ids))
    )
    with records.session() as s:
        for actor_id, uid in s.execute(query):
            found.setdefault(actor_id, set()).add(uid)
    return found
