"""`weekly_watch`: collect → index → embed → match → digest, one task per source or stage."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from veilleuse import watch
from veilleuse.config.settings import Settings


@task(name="collect", cache_policy=NO_CACHE)
def collect(settings: Settings, run_dir: str, source_dir: str | None) -> list[watch.StagedSource]:
    return watch.collect_stage(settings, Path(run_dir), Path(source_dir) if source_dir else None).staged


@task(name="index-source", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def index_source(settings: Settings, staged: watch.StagedSource) -> watch.IndexStageReport:
    return watch.index_stage(settings, staged)


@task(name="embed", retries=1, retry_delay_seconds=5, cache_policy=NO_CACHE)
def embed(settings: Settings) -> watch.EmbedReport:
    return watch.embed_stage(settings)


@task(name="match", cache_policy=NO_CACHE)
def match(settings: Settings) -> dict[str, Any]:
    return watch.match_stage(settings)


@task(name="digest", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def digest(settings: Settings, degraded: list[str]) -> dict[str, Any]:
    return watch.digest_stage(settings, degraded)


@flow(name="weekly_watch", log_prints=True)
def weekly_watch(source_dir: str | None = None, load_demo_actors: bool = True) -> dict[str, Any]:
    """The whole weekly cycle on the configured store and mailer; returns per-stage reports."""
    settings = Settings()
    run_dir = settings.data_dir / "runs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    timings: dict[str, float] = {}

    started = time.perf_counter()
    if load_demo_actors:
        watch.ensure_demo_actors(settings)
    staged = collect(settings, str(run_dir), source_dir)
    timings["collect"] = time.perf_counter() - started

    started = time.perf_counter()
    # one task per source, run one after the other: the embedded store has a single writer
    indexed = [index_source(settings, s) for s in staged]
    timings["index"] = time.perf_counter() - started

    started = time.perf_counter()
    embedded = embed(settings)
    timings["embed"] = time.perf_counter() - started

    started = time.perf_counter()
    matched = match(settings)
    timings["match"] = time.perf_counter() - started

    degraded = [r.source for r in indexed if r.status != "COMPLETE"]
    started = time.perf_counter()
    digests = digest(settings, degraded)
    timings["digest"] = time.perf_counter() - started
    return {
        "staged": staged,
        "indexed": indexed,
        "embedded": embedded,
        "matched": matched,
        "digests": digests,
        "timings": timings,
    }
