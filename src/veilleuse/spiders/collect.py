"""Live collection: run the catalogue's crawls, keep per-source reports, move watermarks safely.

`collect_live` is the live counterpart of `recorded.collect_recorded`: same `SourceBatch` out (a
subclass that also says whether every page was fetched), one subprocess per source, and a failing
source never stops the others. A source's watermark (last publication day seen) and HTTP
validators move only after its crawl completed — a partial run is kept but re-fetched next time.
`store_batches` then links duplicates across the run's sources, writes the notices, lets
corrections and cancellations update the notice they point to (nothing is ever deleted) and
records one `SourceRun` per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice, NoticeStatus
from veilleuse.records import repository as repo
from veilleuse.records.db import Records
from veilleuse.spiders.base import polite_settings
from veilleuse.spiders.catalogue import SourceEntry, load_catalogue, select
from veilleuse.spiders.dedup import keys, link_duplicates
from veilleuse.spiders.parsers.base import Problem
from veilleuse.spiders.recorded import SourceBatch
from veilleuse.spiders.runner import DEFAULT_TIMEOUT_S, CrawlOutcome, CrawlSpec, run_crawls


@dataclass
class LiveBatch(SourceBatch):
    """A SourceBatch from a live crawl: also whether it failed and what state it proposes."""

    failed: bool = False
    complete: bool = False
    pages: int = 0
    state: dict[str, str | None] = field(default_factory=dict)
    #: move the watermark once the batch is stored (a complete crawl, not a dry run)
    commit: bool = False
    #: the watermark may move forward (not a backfill bounded by `until`)
    moving: bool = True


def live_status(batch: SourceBatch) -> str:
    """COMPLETE, DEGRADED (something rejected or not fetched) or FAILED (nothing came through).

    Unlike the recorded demo, a live source with nothing new is COMPLETE: zero notices after a
    successful incremental run is the normal case."""
    # a recorded batch has no `failed` flag: it failed when nothing at all could be read
    failed = getattr(batch, "failed", not batch.notices and bool(batch.problems))
    if failed and not batch.notices:
        return "FAILED"
    return "DEGRADED" if batch.problems else "COMPLETE"


def crawl_spec(
    entry: SourceEntry,
    settings: Settings,
    state: dict[str, Any],
    since: date | None = None,
    until: date | None = None,
    scrapy_settings: dict[str, Any] | None = None,
) -> CrawlSpec:
    """The child-process spec of one catalogue entry (secrets resolved here, at run time)."""
    return CrawlSpec(
        source=entry.name,
        spider=entry.spider,
        endpoint=entry.resolved_endpoint(settings),
        fmt=entry.format,
        since=since.isoformat() if since else None,
        until=until.isoformat() if until else None,
        state={k: v for k, v in state.items() if v is not None},
        options=entry.resolved_options(settings),
        settings=scrapy_settings or {},
    )


def collect_live(
    settings: Settings,
    records: Records,
    sources: Sequence[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    dry_run: bool = False,
    *,
    catalogue: list[SourceEntry] | None = None,
    scrapy_overrides: dict[str, Any] | None = None,
    http_cache_dir: Path | None = None,
    parallel: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> dict[str, SourceBatch]:
    """Crawl the enabled sources (or the named ones); batches by source name.

    `since`/`until` bound the publication days (backfill); `dry_run` fetches and parses but does
    not move any watermark. Watermarks move in `store_batches`, after the notices are stored,
    only for sources whose crawl completed, and only forward (a backfill with `until` never
    moves them)."""
    entries = select(catalogue if catalogue is not None else load_catalogue(), list(sources or []))
    scrapy_settings = polite_settings(
        settings.sources.user_agent, http_cache_dir=http_cache_dir, overrides=scrapy_overrides
    )
    batches: dict[str, SourceBatch] = {}
    specs: list[CrawlSpec] = []
    for entry in entries:
        missing = entry.missing_secrets(settings)
        if missing:
            reason = f"paramètre secret absent : {', '.join(missing)} (source non collectée)"
            batches[entry.name] = LiveBatch(
                entry.name, problems=[Problem(entry.name, reason)], failed=True
            )
            continue
        state = repo.get_source_state(records, entry.name)
        specs.append(crawl_spec(entry, settings, state, since, until, scrapy_settings))
    for source, outcome in run_crawls(specs, timeout_s=timeout_s, parallel=parallel).items():
        batch = to_batch(outcome)
        batch.commit = batch.complete and not dry_run
        batch.moving = until is None
        batches[source] = batch
    return batches


def to_batch(outcome: CrawlOutcome) -> LiveBatch:
    """Fold a crawl outcome into a batch; a uid seen twice keeps its last version."""
    notices: dict[str, Notice] = {}
    for notice in outcome.notices:
        notices[notice.uid] = notice
    return LiveBatch(
        outcome.source,
        notices=list(notices.values()),
        problems=outcome.failures + outcome.problems,
        files=outcome.pages,
        duration_s=outcome.duration_s,
        failed=bool(outcome.failures),
        complete=outcome.complete,
        pages=outcome.pages,
        state=dict(outcome.state),
    )


def commit_state(records: Records, source: str, batch: LiveBatch, moving: bool = True) -> None:
    """Store the validators and the new watermark (the latest publication day, never backwards)."""
    values: dict[str, str | None] = {
        k: v for k, v in batch.state.items() if k in ("etag", "last_modified") and v
    }
    if moving:
        old = repo.get_source_state(records, source).get("watermark")
        days = [n.published for n in batch.notices if n.published]
        newest = max(days).isoformat() if days else None
        proposed = batch.state.get("watermark") or newest
        if proposed and (not old or proposed > old):
            values["watermark"] = proposed
    if values:
        repo.set_source_state(records, source, **values)


# --------------------------------------------------------------------------- storing


def propagate_status(store: Any, notices: Sequence[Notice]) -> list[Notice]:
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


def link_across_runs(store: Any, fresh: Sequence[Notice]) -> tuple[dict[str, Notice], list[Notice]]:
    """Link duplicates among this run's notices and with notices stored by earlier runs.

    BOAMP and TED copies of one procedure usually arrive on different days, so linking within
    a run is not enough. Stored notices sharing a key are found by a scan of the store (fine
    for a weekly cadence; an indexed key field would make it a lookup). Returns the linked
    fresh notices by uid and the stored ones whose `also_in` changed."""
    from veilleuse.search.store import Filters

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
    settings: Settings,
    records: Records,
    batches: dict[str, SourceBatch],
    store: Any = None,
    now: datetime | None = None,
    started_at: datetime | None = None,
) -> list[repo.SourceRun]:
    """Upsert each batch, apply status changes, record one SourceRun per source (in name order).

    Notices of different sources in this run that are one opportunity get `also_in` first."""
    from veilleuse.search.factory import open_store
    from veilleuse.search.indexing import index_notices

    now = now or datetime.now(UTC)
    own_store = store is None
    store = store or open_store(settings)
    runs: list[repo.SourceRun] = []
    try:
        fresh = [n for b in batches.values() for n in b.notices]
        linked, relinked = link_across_runs(store, fresh)
        if relinked:  # stored notices of earlier runs that gained a link
            index_notices(store, relinked, now=now)
        for source, batch in sorted(batches.items()):
            notices = [linked.get(n.uid, n) for n in batch.notices]
            write = index_notices(store, notices, now=now)
            amended = propagate_status(store, notices)
            if amended:
                index_notices(store, amended, now=now)
            problems = [str(p) for p in batch.problems] + [f"{u}: {w}" for u, w in write.failed]
            run = repo.SourceRun(
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
            repo.record_source_run(records, run)
            runs.append(run)
            # only now that the notices are stored may the watermark move: a crash before
            # this point re-fetches the same window next run instead of losing it
            if isinstance(batch, LiveBatch) and batch.commit:
                commit_state(records, source, batch, moving=batch.moving)
    finally:
        if own_store:
            store.close()
    return runs
