"""The sources page's use case: last runs, freshness, rejected records, duplicate rates.

Runs are recorded by the test (constructed), as the collect stage records them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from veilleuse.app.context import Context
from veilleuse.app.sources import format_age_fr, sources_overview
from veilleuse.config.settings import Settings
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.records import sources as source_records
from veilleuse.records.sources import SourceRun
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.spiders.dedup import linked_duplicate_rates


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        yield context


def run(source: str, status: str, finished: datetime, **counts: object) -> SourceRun:
    return SourceRun(
        source=source,
        status=status,
        started_at=finished - timedelta(minutes=2),
        finished_at=finished,
        **counts,  # type: ignore[arg-type]
    )


def notice(uid: str, also_in: list[str]) -> Notice:
    source, native = uid.split(":")
    return Notice(
        uid=uid, source=source, native_id=native, kind=NoticeKind.TENDER, title=uid, also_in=also_in
    ).with_hash()


def test_overview_runs_freshness_rejections_and_duplicates(ctx: Context) -> None:
    now = ctx.now()
    records = ctx.records
    source_records.record_source_run(records, run("boamp", "COMPLETE", now - timedelta(hours=30)))
    source_records.record_source_run(
        records,
        run(
            "boamp",
            "DEGRADED",
            now - timedelta(hours=5),
            fetched=12,
            new=10,
            rejected=2,
            problems=["boamp:26-1 : date limite illisible", "boamp:26-2 : pas de titre"],
        ),
    )
    source_records.record_source_run(records, run("boamp", "FAILED", now - timedelta(hours=1)))
    source_records.record_source_run(records, run("ted", "COMPLETE", now - timedelta(minutes=20)))
    source_records.set_source_state(records, "boamp", watermark="2026-11-29")
    ctx.store.write(
        [
            notice("boamp:1", ["ted:1-2026"]),
            notice("boamp:2", []),
            notice("ted:1-2026", ["boamp:1"]),
        ]
    )
    # computed by the index stage at the end of a run
    source_records.replace_duplicate_rates(
        records, linked_duplicate_rates(ctx.store.iter_notices())
    )
    overview = sources_overview(ctx, runs_per_source=2)
    by_name = {line.name: line for line in overview.sources}
    boamp = by_name["boamp"]
    assert [r.status for r in boamp.runs] == ["FAILED", "DEGRADED"]  # newest first, 2 kept
    assert boamp.runs[1].problems == [
        "boamp:26-1 : date limite illisible",
        "boamp:26-2 : pas de titre",
    ]
    assert (boamp.runs[1].fetched, boamp.runs[1].rejected) == (12, 2)
    assert boamp.runs[0].finished_at is not None and boamp.runs[0].finished_at.tzinfo is not None
    assert boamp.watermark == "2026-11-29" and boamp.publisher and boamp.enabled
    # freshness counts from the last COMPLETE run, older than the two runs shown
    assert boamp.age is not None and timedelta(hours=29) < boamp.age < timedelta(hours=31)
    assert format_age_fr(boamp.age) == "il y a 30\u00a0h"
    assert format_age_fr(by_name["ted"].age) == "il y a 20\u00a0min"
    # a catalogue source that never ran is listed, never fresh
    assert by_name["fondation-de-france"].runs == [] and by_name["fondation-de-france"].age is None
    assert format_age_fr(None) == "jamais"
    assert overview.duplicate_rates == {("boamp", "ted"): 0.5, ("ted", "boamp"): 1.0}


def test_duplicate_rates_are_read_from_the_last_index_run_not_the_store(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx.store.write([notice("boamp:1", ["ted:1-2026"]), notice("ted:1-2026", ["boamp:1"])])
    recorded = {("boamp", "ted"): 0.25, ("ted", "boamp"): 0.5}
    source_records.replace_duplicate_rates(ctx.records, recorded)
    scans: list[object] = []
    original = ctx.store.iter_notices

    def counted(*args: object, **kwargs: object) -> object:
        scans.append(args)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ctx.store, "iter_notices", counted)
    assert sources_overview(ctx).duplicate_rates == recorded
    assert scans == []  # the page scans no notice


def test_age_in_days() -> None:
    assert format_age_fr(timedelta(days=3, hours=2)) == "il y a 3\u00a0j"
    assert format_age_fr(datetime(2026, 1, 2, tzinfo=UTC) - datetime(2026, 1, 1, tzinfo=UTC)) == (
        "il y a 24\u00a0h"
    )
