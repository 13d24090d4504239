"""Index stage: store collected batches, link duplicates, apply amendments, log source runs,
and propose the outcome of open grouped bids from the award notices just stored
(`app.bid_outcomes`).

Duplicates across sources are linked in `also_in` (within the run and with notices stored by
earlier runs); corrections and cancellations update the notice they point to (nothing is ever
deleted); one `SourceRun` per source is recorded; and only then may a live source's watermark
move, so a crash before storing re-fetches the same window instead of losing it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from veilleuse.app.bid_outcomes import propose_outcomes
from veilleuse.app.collect import StagedSource, unstage
from veilleuse.app.context import Context
from veilleuse.core.embedder import Embedder
from veilleuse.core.models import Notice, NoticeKind, NoticeStatus
from veilleuse.records import sources as source_records
from veilleuse.records.db import Records
from veilleuse.records.sources import SourceRun
from veilleuse.search.indexing import index_notices
from veilleuse.search.store import CompactReport, Filters, NoticeStore
from veilleuse.spiders.collect import LiveBatch, live_status
from veilleuse.spiders.dedup import keys, link_duplicates, linked_duplicate_rates
from veilleuse.spiders.recorded import SourceBatch

log = logging.getLogger(__name__)


def commit_state(records: Records, source: str, batch: LiveBatch, moving: bool = True) -> None:
    """Store the validators and the new watermark (the latest publication day, never backwards)."""
    values: dict[str, str | None] = {
        k: v for k, v in batch.state.items() if k in ("etag", "last_modified") and v
    }
    if moving:
        old = source_records.get_source_state(records, source).get("watermark")
        days = [n.published for n in batch.notices if n.published]
        newest = max(days).isoformat() if days else None
        proposed = batch.state.get("watermark") or newest
        if proposed and (not old or proposed > old):
            values["watermark"] = proposed
    if values:
        source_records.set_source_state(records, source, **values)


# --------------------------------------------------------------------------- storing


def propagate_status(store: NoticeStore, notices: Sequence[Notice]) -> list[Notice]:
    """Corrections/cancellations also mark the stored notice they refer to (never deleted).

    A cancelled or corrected notice names the notice it amends among its identifiers (a BOAMP
    idweb, a TED publication number, a procedure id); every other stored notice of the same
    source reachable that way takes the new status."""
    updates: dict[str, Notice] = {}
    for notice in notices:
        if notice.status not in (NoticeStatus.CANCELLED, NoticeStatus.CORRECTED):
            continue
        wanted = {f"{notice.source}:{ident}" for ident in notice.identifiers} - {notice.uid}
        for stored in store.get_many(sorted(wanted)):
            if stored.status in (NoticeStatus.OPEN, NoticeStatus.CLOSED, NoticeStatus.CORRECTED):
                updates[stored.uid] = stored.model_copy(
                    update={"status": notice.status}
                ).with_hash()
    return list(updates.values())


def link_across_runs(
    store: NoticeStore, fresh: Sequence[Notice]
) -> tuple[dict[str, Notice], list[Notice]]:
    """Link duplicates among this run's notices and with notices stored by earlier runs.

    BOAMP and TED copies of one procedure usually arrive on different days, so linking within
    a run is not enough. Stored notices sharing a key are found by a scan of the store (fine
    for a weekly cadence; an indexed key field would make it a lookup). Returns the linked
    fresh notices by uid and the stored ones whose `also_in` changed."""
    wanted = set().union(*(keys(n) for n in fresh)) if fresh else set()
    fresh_uids = {n.uid for n in fresh}
    stored: list[Notice] = []
    if wanted:
        stored = [
            n for n in store.iter_notices(Filters())
            if n.uid not in fresh_uids and keys(n) & wanted
        ]  # fmt: skip
    everything = link_duplicates([*fresh, *stored])
    linked = {n.uid: n for n in everything[: len(fresh)]}
    relinked = [
        after for before, after in zip(stored, everything[len(fresh) :], strict=True)
        if after.also_in != before.also_in
    ]  # fmt: skip
    return linked, relinked


def store_batches(
    ctx: Context,
    batches: dict[str, SourceBatch],
    now: datetime | None = None,
    started_at: datetime | None = None,
    embedder: Embedder | None = None,
) -> list[SourceRun]:
    """Upsert each batch, apply status changes, record one SourceRun per source (in name order).

    With `embedder`, new and changed notices are written with their vectors (one pass; the
    embed stage then only catches up). Notices of different sources in this run that are one
    opportunity get `also_in` first.
    Award notices among them then propose outcomes to the open grouped bids of their procedure
    (one `propose_outcomes` call for the whole run)."""
    now = now or datetime.now(UTC)
    store, records = ctx.store, ctx.records
    runs: list[SourceRun] = []
    fresh = [n for b in batches.values() for n in b.notices]
    linked, relinked = link_across_runs(store, fresh)
    if relinked:  # stored notices of earlier runs that gained a link
        index_notices(store, relinked, now=now, embedder=embedder)
    for source, batch in sorted(batches.items()):
        notices = [linked.get(n.uid, n) for n in batch.notices]
        write = index_notices(store, notices, now=now, embedder=embedder)
        amended = propagate_status(store, notices)
        if amended:
            index_notices(store, amended, now=now, embedder=embedder)
        problems = [str(p) for p in batch.problems] + [f"{u}: {w}" for u, w in write.failed]
        run = SourceRun(
            source=source,
            status=live_status(batch) if not write.failed else "DEGRADED",
            started_at=started_at or now,
            finished_at=datetime.now(UTC),
            fetched=len(batch.notices) + len(batch.problems),
            new=len(write.created),
            updated=len(write.updated) + len(amended),
            unchanged=len(write.unchanged),
            rejected=len(batch.problems) + len(write.failed),
            problems=problems,
            duration_s=batch.duration_s,
        )
        source_records.record_source_run(records, run)
        runs.append(run)
        # only now that the notices are stored may the watermark move: a crash before
        # this point re-fetches the same window next run instead of losing it
        if isinstance(batch, LiveBatch) and batch.commit:
            commit_state(records, source, batch, moving=batch.moving)
    # the sources page reads these: computed once per index run, not per visit
    source_records.replace_duplicate_rates(records, linked_duplicate_rates(store.iter_notices()))
    # award notices just stored may conclude the procedure of an open grouped bid
    awards = [linked.get(n.uid, n) for n in fresh if n.kind is NoticeKind.AWARD]
    if awards:
        propose_outcomes(ctx, awards, now=now)
    return runs


def index_stage(ctx: Context, staged: Sequence[StagedSource]) -> list[SourceRun]:
    """Store what the collect stage staged, new and changed notices with their vectors (one
    write per notice, not a write then a vector update); the run's start is the earliest
    staging time."""
    batches = {s.source: unstage(s) for s in staged}
    started = min((datetime.fromisoformat(s.started_at) for s in staged), default=None)
    runs = store_batches(ctx, batches, started_at=started, embedder=ctx.embedder)
    compact_store(ctx.store, sum(r.new + r.updated for r in runs))
    return runs


def compact_store(store: NoticeStore, changed: int) -> CompactReport | None:
    """Once per weekly write, let the store compact itself (Elasticsearch: a force-merge when
    the write was large, see `search.es_compact`): searches until next week are faster. Never
    fails the run: a failure is logged as a warning, the index stays as written."""
    try:
        report = store.compact(changed)
    except Exception as exc:  # StoreError or anything unforeseen: maintenance only
        log.warning("store compaction failed, searches may be slower until it succeeds: %s", exc)
        return None
    if report.outcome == "running":
        log.warning("store compaction: %s", report.detail)
    else:
        log.info("store compaction (%s): %s", report.outcome, report.detail)
    return report


def migrate_index(ctx: Context) -> str | None:
    """New index version with the current mappings, reindex, alias swap (Elasticsearch only).

    Returns what was done, or None when the store has no index versions (embedded store)."""
    migrate = getattr(ctx.store, "migrate", None)
    return None if migrate is None else str(migrate())
