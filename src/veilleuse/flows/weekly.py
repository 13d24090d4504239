"""`weekly_watch`: collect → index → embed → match → digest, one task per stage.

Each task opens its own `Context` from the settings and calls one `app` use case; tasks hand
each other staging-file paths and small reports, never the notices themselves. Retries (I/O
stages only) and their delay come from the `flows` settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from veilleuse.app import actors, collect, digest, embed, index, match
from veilleuse.app.context import Context
from veilleuse.app.run_lock import exclusive
from veilleuse.app.weekly import WeeklyReport, degraded
from veilleuse.config.settings import Settings
from veilleuse.flows.artifacts import publish, weekly_markdown

T = TypeVar("T")


@task(name="collect", cache_policy=NO_CACHE)
def collect_task(
    settings: Settings,
    run_dir: str,
    source_dir: str | None,
    live: bool,
    sources: list[str] | None,
    since: date | None,
    until: date | None,
) -> list[collect.StagedSource]:
    with Context(settings) as ctx:
        return collect.collect_stage(
            ctx,
            Path(run_dir),
            Path(source_dir) if source_dir else None,
            live=live,
            sources=sources,
            since=since,
            until=until,
        ).staged


@task(name="index", cache_policy=NO_CACHE)
def index_task(settings: Settings, staged: list[collect.StagedSource]) -> list[index.SourceRun]:
    with Context(settings) as ctx:
        return index.index_stage(ctx, staged)


@task(name="embed", cache_policy=NO_CACHE)
def embed_task(settings: Settings) -> embed.EmbedReport:
    with Context(settings) as ctx:
        return embed.embed_stage(ctx)


@task(name="match", cache_policy=NO_CACHE)
def match_task(settings: Settings, now: datetime, full: bool = False) -> match.MatchRunReport:
    with Context(settings) as ctx:
        return match.match_stage(ctx, now, full=full)


@task(name="digest", cache_policy=NO_CACHE)
def digest_task(
    settings: Settings, degraded_sources: list[str], now: datetime
) -> digest.DigestReport:
    with Context(settings) as ctx:
        return exclusive(
            ctx,
            "weekly_watch:digest",
            lambda: digest.digest_stage(ctx, degraded_sources, now),
            digest.DigestReport,
        )


@flow(name="weekly_watch", log_prints=True)
def weekly_watch(
    source_dir: str | None = None,
    live: bool = False,
    sources: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    load_demo_actors: bool = False,
    full_match: bool = False,
) -> WeeklyReport:
    """The whole weekly cycle on the configured store and mailer; returns per-stage reports.

    `live` collects the source catalogue over the network; otherwise recorded files are read
    (`source_dir`, the `sources.demo_dir` setting, or the bundled samples). `full_match` scores
    every actor against every open notice instead of only what changed since the last run."""
    settings = Settings()
    now = datetime.now(UTC)
    run_dir = settings.data_dir / "runs" / now.strftime("%Y%m%dT%H%M%S%f")
    retries, delay = settings.flows.retries, settings.flows.retry_delay_seconds
    timings: dict[str, float] = {}

    def timed(stage: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        finally:
            timings[stage] = time.perf_counter() - started

    if load_demo_actors:
        with Context(settings) as ctx:
            actors.ensure_demo_actors(ctx)
    staged = timed(
        "collect",
        lambda: collect_task(settings, str(run_dir), source_dir, live, sources, since, until),
    )
    runs = timed(
        "index",
        lambda: index_task.with_options(retries=retries, retry_delay_seconds=delay)(
            settings, staged
        ),
    )
    embedded = timed(
        "embed",
        lambda: embed_task.with_options(retries=retries, retry_delay_seconds=delay)(settings),
    )
    matched = timed("match", lambda: match_task(settings, now, full_match))
    digests = timed(
        "digest",
        lambda: digest_task.with_options(retries=retries, retry_delay_seconds=delay)(
            settings, degraded(runs), now
        ),
    )
    report = WeeklyReport(staged, runs, embedded, matched, digests, timings)
    publish("weekly-watch", weekly_markdown(report), "The weekly watch, stage by stage")
    return report
