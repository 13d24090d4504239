"""Collect stage: recorded files (demo, tests) or the live catalogue, staged on disk per source.

Stages hand each other paths, not notices: collect writes one JSON-lines file per source under
the run folder and the index stage reads it back, so a Prefect task result stays small.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from veilleuse.app.context import Context
from veilleuse.core.models import Notice
from veilleuse.spiders.collect import LiveBatch, collect_live
from veilleuse.spiders.parsers.base import Problem
from veilleuse.spiders.recorded import SourceBatch, collect_recorded

LIVE_FIELDS = ("failed", "complete", "pages", "state", "commit", "moving")


def default_samples_dir() -> Path:
    """The recorded real source files bundled with the project (`data/samples`)."""
    return Path(__file__).resolve().parents[3] / "data" / "samples"


@dataclass
class StagedSource:
    """One source's output of the collect stage, staged on disk for the index stage."""

    source: str
    path: str
    accepted: int
    rejected: int
    problems: list[Problem]
    duration_s: float
    started_at: str
    live: dict[str, object] | None = None  # LiveBatch fields (failed, complete, state, commit…)
    #: files that yielded no notice at all, only problems (the run is then DEGRADED)
    failed_files: list[str] = field(default_factory=list)


@dataclass
class CollectReport:
    staged: list[StagedSource] = field(default_factory=list)
    seconds: float = 0.0


def collect_stage(
    ctx: Context,
    run_dir: Path,
    source_dir: Path | None = None,
    *,
    live: bool = False,
    sources: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    progress: Callable[[Path], None] | None = None,
) -> CollectReport:
    """Collect recorded files (default) or the live catalogue, staged per source under `run_dir`."""
    started = time.perf_counter()
    run_dir.mkdir(parents=True, exist_ok=True)
    batches: dict[str, SourceBatch]
    if live:
        batches = dict(collect_live(ctx.settings, ctx.records, sources, since, until))
    else:
        folder = source_dir or ctx.settings.sources.demo_dir or default_samples_dir()
        batches = collect_recorded(folder, progress, ctx.settings.sources.max_payload_bytes)
    report = CollectReport()
    now = datetime.now(UTC).isoformat()
    for source, batch in sorted(batches.items()):
        report.staged.append(stage_batch(run_dir, source, batch, now))
    report.seconds = time.perf_counter() - started
    return report


def stage_batch(run_dir: Path, source: str, batch: SourceBatch, started_at: str) -> StagedSource:
    """Write one batch's notices as JSON lines; keep its problems and live state in the report."""
    path = run_dir / f"{source}.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for notice in batch.notices:
            out.write(notice.model_dump_json() + "\n")
    live = {k: getattr(batch, k) for k in LIVE_FIELDS} if isinstance(batch, LiveBatch) else None
    return StagedSource(
        source,
        str(path),
        len(batch.notices),
        len(batch.problems),
        list(batch.problems),
        batch.duration_s,
        started_at,
        live,
        list(batch.failed_files),
    )


def read_staged(path: str | Path) -> list[Notice]:
    with Path(path).open(encoding="utf-8") as lines:
        return [Notice.model_validate_json(line) for line in lines if line.strip()]


def unstage(staged: StagedSource) -> SourceBatch:
    """The batch a staged source was written from (a LiveBatch when it came from a crawl)."""
    notices = read_staged(staged.path)
    problems = list(staged.problems)
    if staged.live is not None:
        return LiveBatch(
            staged.source,
            notices,
            problems,
            duration_s=staged.duration_s,
            failed_files=list(staged.failed_files),
            **staged.live,  # type: ignore[arg-type]
        )
    return SourceBatch(
        staged.source,
        notices,
        problems,
        duration_s=staged.duration_s,
        failed_files=list(staged.failed_files),
    )
