"""The weekly index stage compacts the store once, after its write, and never fails on it.
Notices are constructed for the test (not real data).
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from veilleuse.app.collect import stage_batch
from veilleuse.app.context import Context
from veilleuse.app.index import compact_store, index_stage
from veilleuse.config.settings import Settings, StoreSettings
from veilleuse.core.errors import StoreError
from veilleuse.core.models import Notice, NoticeKind
from veilleuse.records.db import Records
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import CompactReport
from veilleuse.spiders.recorded import SourceBatch


def notice(n: int) -> Notice:
    return Notice(
        uid=f"boamp:{n}", source="boamp", native_id=str(n), kind=NoticeKind.TENDER, title=f"Lot {n}"
    ).with_hash()


class RecordingStore(EmbeddedStore):
    """The embedded store, remembering what `compact` was asked (or failing it)."""

    def __init__(self, path: Path, fail: bool = False) -> None:
        super().__init__(path)
        self.asked: list[int] = []
        self.fail = fail

    def compact(self, changed: int) -> CompactReport:
        self.asked.append(changed)
        if self.fail:
            raise StoreError("force-merge refused (test)")
        return super().compact(changed)


@pytest.mark.parametrize("fail", [False, True])
def test_index_stage_compacts_once_with_what_it_changed(
    tmp_path: Path, fail: bool, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path)  # type: ignore[call-arg]
    store = RecordingStore(tmp_path / "notices.sqlite3", fail=fail)
    records = Records(settings.records_url())
    staged = [
        stage_batch(
            tmp_path,
            "boamp",
            SourceBatch("boamp", [notice(1), notice(2), notice(3)]),
            "2026-11-30T08:00:00+00:00",
        )
    ]
    with Context(settings, records=records, store=store) as ctx, caplog.at_level(logging.INFO):
        (run,) = index_stage(ctx, staged)
        assert run.new == 3 and run.status == "COMPLETE"  # a failed compaction changes nothing
        assert store.asked == [3]
        assert store.count() == 3
        index_stage(ctx, staged)  # the same notices again: nothing changed
        assert store.asked == [3, 0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == (2 if fail else 0)
    if fail:
        assert "force-merge refused" in warnings[0].getMessage()


def test_an_unreachable_elasticsearch_is_a_warning_not_a_failure(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from veilleuse.search.elasticsearch_store import ElasticsearchStore

    # port 9 (discard) on loopback: nothing listens there in the test machines
    store = ElasticsearchStore(
        StoreSettings(url="http://127.0.0.1:9", request_timeout=2)  # type: ignore[call-arg]
    )
    with caplog.at_level(logging.WARNING):
        assert compact_store(store, 20_000) is None
    assert "127.0.0.1:9" in caplog.text
