"""A weekly run over the recorded real samples (those `veilleuse demo` reads) plus poisoned
funding-feed files stores every good notice and sends the same digests as the run without them;
its status is DEGRADED and names each poisoned file. Before the parser boundary, the file with a
5000-digit integer stopped collection with a traceback and the run sent no digest.

Each run calls the stages the `weekly_watch` flow calls (collect → index → embed → match →
digest) on its own data folder, with the real model, store and outbox.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from veilleuse.app import actors, collect, digest, embed, index, match
from veilleuse.app.context import Context
from veilleuse.app.weekly import RunStatus, WeeklyReport, degraded
from veilleuse.config.settings import Settings
from veilleuse.records.tables import DigestItemRow

pytestmark = pytest.mark.slow

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
FEED = SAMPLES / "funding_feeds" / "ile_de_france_aides.json"
POISONS = {
    "zz_huge_integer.json": b'[{"id": ' + b"9" * 5000 + b', "name": "x"}]',
    "zz_truncated.json": FEED.read_bytes()[: FEED.stat().st_size // 2],
    "zz_deep.json": b"[" * 100_000 + b"]" * 100_000,
}


def weekly(samples: Path, data_dir: Path) -> tuple[WeeklyReport, list[str], set[tuple[str, str]]]:
    """One run; returns its report, the stored uids and the (actor, notice) pairs announced."""
    settings = Settings(data_dir=data_dir)
    with Context(settings) as ctx:
        actors.ensure_demo_actors(ctx)
        staged = collect.collect_stage(ctx, data_dir / "run", samples).staged
        runs = index.index_stage(ctx, staged)
        embedded = embed.embed_stage(ctx)
        matched = match.match_stage(ctx, NOW)
        digests = digest.digest_stage(ctx, degraded(runs), NOW)
        uids = sorted(n.uid for n in ctx.store.iter_notices())
        with ctx.records.session() as session:
            pairs = {(r.actor_id, r.notice_uid) for r in session.query(DigestItemRow)}
    return WeeklyReport(staged, runs, embedded, matched, digests), uids, pairs


def test_poisoned_feed_files_change_nothing_for_the_good_notices(tmp_path: Path) -> None:
    clean, clean_uids, clean_pairs = weekly(SAMPLES, tmp_path / "clean")
    poisoned_dir = tmp_path / "samples"
    shutil.copytree(SAMPLES, poisoned_dir)
    for name, data in POISONS.items():
        (poisoned_dir / "funding_feeds" / name).write_bytes(data)

    report, uids, pairs = weekly(poisoned_dir, tmp_path / "poisoned")

    assert clean.status() == RunStatus.COMPLETE, clean.reasons()
    assert len(clean_uids) >= 100 and len(clean.digests.sent) >= 5
    assert uids == clean_uids
    assert pairs == clean_pairs
    assert len(report.digests.sent) == len(clean.digests.sent)
    assert report.digests.failed == []
    assert report.status() == RunStatus.DEGRADED
    reasons = "\n".join(report.reasons())
    for name in POISONS:
        assert f"funding_feeds/{name} unreadable" in reasons
