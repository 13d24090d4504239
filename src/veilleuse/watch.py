"""The weekly watch as plain functions, one per stage; Prefect flows and the CLI call these.

Stages hand each other paths and ids, not big objects: collect writes one JSON-lines staging file
per source, index reads it back. Each stage returns a small report the flow prints and keeps.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice
from veilleuse.records import repository as repo
from veilleuse.records.db import Records

#: a source is DEGRADED when some records were rejected, FAILED when nothing came through or
#: more than this share of its records were rejected
FAILED_REJECT_RATIO = 0.5


def default_samples_dir() -> Path:
    """The recorded real source files bundled with the project (`data/samples`)."""
    return Path(__file__).resolve().parents[2] / "data" / "samples"


def source_status(accepted: int, rejected: int) -> str:
    total = accepted + rejected
    if accepted == 0 or (total and rejected / total > FAILED_REJECT_RATIO):
        return "FAILED"
    return "DEGRADED" if rejected else "COMPLETE"


@dataclass
class StagedSource:
    source: str
    path: str
    accepted: int
    rejected: int
    problems: list[str]
    duration_s: float
    started_at: str


@dataclass
class CollectReport:
    staged: list[StagedSource] = field(default_factory=list)
    seconds: float = 0.0


def collect_stage(
    settings: Settings, run_dir: Path, source_dir: Path | None = None,
    progress: Callable[[Path], None] | None = None,
) -> CollectReport:
    """Parse the recorded sources into per-source staging files under `run_dir`."""
    from veilleuse.spiders.recorded import collect_recorded

    started = time.perf_counter()
    folder = source_dir or settings.sources.demo_dir or default_samples_dir()
    run_dir.mkdir(parents=True, exist_ok=True)
    report = CollectReport()
    now = datetime.now(UTC).isoformat()
    for source, batch in sorted(collect_recorded(folder, progress).items()):
        path = run_dir / f"{source}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for notice in batch.notices:
                out.write(notice.model_dump_json() + "\n")
        report.staged.append(
            StagedSource(source, str(path), len(batch.notices), len(batch.problems),
                         [str(p) for p in batch.problems], batch.duration_s, now)
        )
    report.seconds = time.perf_counter() - started
    return report


def read_staged(path: str | Path) -> list[Notice]:
    with Path(path).open(encoding="utf-8") as lines:
        return [Notice.model_validate_json(line) for line in lines if line.strip()]


@dataclass
class IndexStageReport:
    source: str
    status: str
    created: int
    updated: int
    unchanged: int
    failed: list[tuple[str, str]]
    rejected: int
    seconds: float


def index_stage(settings: Settings, staged: StagedSource) -> IndexStageReport:
    """Upsert one source's staged notices and log the source run in the records database."""
    from veilleuse.search.factory import open_store
    from veilleuse.search.indexing import index_notices

    started = time.perf_counter()
    notices = read_staged(staged.path)
    store = open_store(settings)
    try:
        write = index_notices(store, notices)
    finally:
        store.close()
    rejected = staged.rejected + len(write.failed)
    status = source_status(staged.accepted - len(write.failed), rejected)
    problems = staged.problems + [f"{uid}: {why}" for uid, why in write.failed]
    seconds = time.perf_counter() - started
    repo.record_source_run(
        Records(settings.records_url()),
        repo.SourceRun(
            source=staged.source, status=status,
            started_at=datetime.fromisoformat(staged.started_at),
            fetched=staged.accepted + staged.rejected, new=len(write.created),
            updated=len(write.updated), unchanged=len(write.unchanged), rejected=rejected,
            problems=problems, duration_s=staged.duration_s + seconds,
        ),
    )
    return IndexStageReport(staged.source, status, len(write.created), len(write.updated),
                            len(write.unchanged), write.failed, rejected, seconds)


@dataclass
class EmbedReport:
    embedded: int
    seconds: float
    model_calls: int
    cache_hits: int

    @property
    def per_second(self) -> float:
        return self.embedded / self.seconds if self.seconds else 0.0


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
    report = send_digests(records, notices, matches, teams, make_mailer(settings), settings,
                          now=now, degraded_sources=degraded_sources)
    return asdict(report)


def ensure_demo_actors(settings: Settings, path: Path | None = None) -> tuple[int, int]:
    """Load the bundled example actor profiles into the records database (update in place)."""
    from veilleuse.core.actors_io import load_actors

    source = path or Path(__file__).parent / "config" / "data" / "demo_actors.yaml"
    return repo.upsert_actors(Records(settings.records_url()), load_actors(source))


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
