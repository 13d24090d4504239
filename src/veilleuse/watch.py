"""The weekly watch as plain functions, one per stage; Prefect flows and the CLI call these.

Stages hand each other paths and ids, not big objects: collect writes one JSON-lines staging file
per source, index reads it back. Each stage returns a small report the flow prints and keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice
from veilleuse.records import repository as repo
from veilleuse.records.db import Records
from veilleuse.spiders.parsers.base import Problem
from veilleuse.spiders.recorded import SourceBatch


def default_samples_dir() -> Path:
    """The recorded real source files bundled with the project (`data/samples`)."""
    return Path(__file__).resolve().parents[2] / "data" / "samples"


@dataclass
class StagedSource:
    """One source's output of the collect stage, staged on disk for the index stage."""

    source: str
    path: str
    accepted: int
    rejected: int
    problems: list[dict[str, str | None]]
    duration_s: float
    started_at: str
    live: dict[str, Any] | None = None  # LiveBatch fields (failed, complete, state, commit…)


@dataclass
class CollectReport:
    staged: list[StagedSource] = field(default_factory=list)
    seconds: float = 0.0


def collect_stage(
    settings: Settings,
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
        from veilleuse.spiders.collect import collect_live

        batches = collect_live(settings, Records(settings.records_url()), sources, since, until)
    else:
        from veilleuse.spiders.recorded import collect_recorded

        folder = source_dir or settings.sources.demo_dir or default_samples_dir()
        batches = collect_recorded(folder, progress)
    report = CollectReport()
    now = datetime.now(UTC).isoformat()
    for source, batch in sorted(batches.items()):
        path = run_dir / f"{source}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for notice in batch.notices:
                out.write(notice.model_dump_json() + "\n")
        live_fields = None
        if live:
            live_fields = {
                k: getattr(batch, k)
                for k in ("failed", "complete", "pages", "state", "commit", "moving")
            }
        report.staged.append(
            StagedSource(
                source,
                str(path),
                len(batch.notices),
                len(batch.problems),
                [asdict(p) for p in batch.problems],
                batch.duration_s,
                now,
                live_fields,
            )
        )
    report.seconds = time.perf_counter() - started
    return report


def read_staged(path: str | Path) -> list[Notice]:
    with Path(path).open(encoding="utf-8") as lines:
        return [Notice.model_validate_json(line) for line in lines if line.strip()]


def _batch(staged: StagedSource) -> SourceBatch:
    problems = [Problem(**p) for p in staged.problems]  # type: ignore[arg-type]
    notices = read_staged(staged.path)
    if staged.live is not None:
        from veilleuse.spiders.collect import LiveBatch

        return LiveBatch(
            staged.source, notices, problems, duration_s=staged.duration_s, **staged.live
        )
    return SourceBatch(staged.source, notices, problems, duration_s=staged.duration_s)


def index_stage(settings: Settings, staged: list[StagedSource]) -> list[repo.SourceRun]:
    """Link duplicates across sources, upsert, apply corrections/cancellations, log source runs.

    Watermarks of live sources move only here, after their notices are stored."""
    from veilleuse.spiders.collect import store_batches

    batches = {s.source: _batch(s) for s in staged}
    started = min((datetime.fromisoformat(s.started_at) for s in staged), default=None)
    return store_batches(settings, Records(settings.records_url()), batches, started_at=started)


@dataclass
class EmbedReport:
    embedded: int
    seconds: float
    model_calls: int
    cache_hits: int


def embed_stage(settings: Settings, progress: Callable[[int], None] | None = None) -> EmbedReport:
    from veilleuse.search.embeddings import make_embedder
    from veilleuse.search.factory import open_store
    from veilleuse.search.indexing import embed_missing

    started = time.perf_counter()
    embedder = make_embedder(settings.embedding, settings.embedding_cache_path())
    store = open_store(settings)
    try:
        count = embed_missing(store, embedder, progress=progress)
    finally:
        store.close()
        embedder.close()
    return EmbedReport(count, time.perf_counter() - started, embedder.misses, embedder.hits)


def match_stage(settings: Settings, now: datetime | None = None) -> dict[str, Any]:
    from veilleuse.search.match_run import run_matching

    return asdict(run_matching(settings, now or datetime.now(UTC)))


def digest_stage(
    settings: Settings, degraded_sources: list[str], now: datetime | None = None
) -> dict[str, Any]:
    from veilleuse.digests.mailer import make_mailer
    from veilleuse.digests.send import send_digests
    from veilleuse.search.factory import open_store

    records = Records(settings.records_url())
    matches = repo.load_matches(records)
    teams = repo.load_suggestions(records)
    store = open_store(settings)
    try:
        uids = list({m.notice_uid for m in matches})
        notices = {n.uid: n for n in store.get_many(uids)}
    finally:
        store.close()
    report = send_digests(
        records,
        notices,
        matches,
        teams,
        make_mailer(settings),
        settings,
        now=now,
        degraded_sources=degraded_sources,
    )
    return asdict(report)


def ensure_demo_actors(settings: Settings, path: Path | None = None) -> tuple[int, int]:
    """Load the bundled example actor profiles into the records database (update in place)."""
    from veilleuse.core.actors_io import load_actors

    source = path or Path(__file__).parent / "config" / "data" / "demo_actors.yaml"
    return repo.upsert_actors(Records(settings.records_url()), load_actors(source))
