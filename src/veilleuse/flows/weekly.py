"""`weekly_watch`: collect → index → embed → match → digest, one task per stage.

Tasks hand each other staging-file paths and small reports, never the notices themselves.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from veilleuse import watch
from veilleuse.config.settings import Settings
from veilleuse.records.repository import SourceRun


@task(name="collect", cache_policy=NO_CACHE)
def collect(
    settings: Settings,
    run_dir: str,
    source_dir: str | None,
    live: bool,
    sources: list[str] | None,
    since: date | None,
    until: date | None,
) -> list[watch.StagedSource]:
    return watch.collect_stage(
        settings,
        Path(run_dir),
        Path(source_dir) if source_dir else None,
        live=live,
        sources=sources,
        since=since,
        until=until,
    ).staged


@task(name="index", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def index(settings: Settings, staged: list[watch.StagedSource]) -> list[SourceRun]:
    return watch.index_stage(settings, staged)


@task(name="embed", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def embed(settings: Settings) -> watch.EmbedReport:
    return watch.embed_stage(settings)


@task(name="match", cache_policy=NO_CACHE)
def match(settings: Settings, now: datetime) -> dict[str, Any]:
    return watch.match_stage(settings, now)


@task(name="digest", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def digest(settings: Settings, degraded: list[str], now: datetime) -> dict[str, Any]:
    return watch.digest_stage(settings, degraded, now)


@flow(name="weekly_watch", log_prints=True)
def weekly_watch(
    source_dir: str | None = None,
    live: bool = False,
    sources: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    load_demo_actors: bool = False,
) -> dict[str, Any]:
    """The whole weekly cycle on the configured store and mailer; returns per-stage reports.

    `live` collects the source catalogue over the network; otherwise recorded files are read
    (`source_dir`, the `sources.demo_dir` setting, or the bundled samples)."""
    settings = Settings()
    now = datetime.now(UTC)
    run_dir = settings.data_dir / "runs" / now.strftime("%Y%m%dT%H%M%S%f")
    timings: dict[str, float] = {}

    started = time.perf_counter()
    if load_demo_actors:
        watch.ensure_demo_actors(settings)
    staged = collect(settings, str(run_dir), source_dir, live, sources, since, until)
    timings["collect"] = time.perf_counter() - started

    started = time.perf_counter()
    runs = index(settings, staged)
    timings["index"] = time.perf_counter() - started

    started = time.perf_counter()
    embedded = embed(settings)
    timings["embed"] = time.perf_counter() - started

    started = time.perf_counter()
    matched = match(settings, now)
    timings["match"] = time.perf_counter() - started

    degraded = [r.source for r in runs if r.status != "COMPLETE"]
    started = time.perf_counter()
    digests = digest(settings, degraded, now)
    timings["digest"] = time.perf_counter() - started
    return {
        "staged": staged,
        "runs": runs,
        "embedded": embedded,
        "matched": matched,
        "digests": digests,
        "timings": timings,
    }
