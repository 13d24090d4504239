"""Live collection: run the catalogue's crawls, keep per-source reports, move watermarks safely.

`collect_live` is the live counterpart of `recorded.collect_recorded`: same `SourceBatch` out (a
subclass that also says whether every page was fetched), one subprocess per source, and a failing
source never stops the others. A source's watermark (last publication day seen) and HTTP
validators move only after its crawl completed — a partial run is kept but re-fetched next time.
Storing the batches (and only then moving the watermarks) is the index use case in
`veilleuse.app.index`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice
from veilleuse.records import sources as source_records
from veilleuse.records.db import Records
from veilleuse.spiders.base import polite_settings
from veilleuse.spiders.catalogue import SourceEntry, load_catalogue, select
from veilleuse.spiders.parsers.base import Problem
from veilleuse.spiders.recorded import SourceBatch
from veilleuse.spiders.runner import DEFAULT_TIMEOUT_S, CrawlOutcome, CrawlSpec, run_crawls


@dataclass
class LiveBatch(SourceBatch):
    """A SourceBatch from a live crawl: also whether it failed and what state it proposes."""

    failed: bool = False
    complete: bool = False
    pages: int = 0
    #: HTTP statuses of the pages read and of the fetches refused for good (see CrawlOutcome)
    statuses: list[int] = field(default_factory=list)
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
        settings={
            **(scrapy_settings or {}),
            "DOWNLOAD_MAXSIZE": max_payload_bytes(entry, settings),
        },
    )


def max_payload_bytes(entry: SourceEntry, settings: Settings) -> int:
    """The entry's own `max_payload_mb` option, else the `sources.max_payload_mb` setting."""
    mb = entry.options.get("max_payload_mb", settings.sources.max_payload_mb)
    return int(float(mb) * 1_000_000)


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
    not move any watermark. Watermarks move in `app.index.store_batches`, after the notices are stored,
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
        state = source_records.get_source_state(records, entry.name)
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
        statuses=list(outcome.statuses),
        state=dict(outcome.state),
    )
