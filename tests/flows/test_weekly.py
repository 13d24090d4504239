"""The weekly watch end to end through Prefect, on the bundled recorded sources, twice.

Real model, real embedded store, real outbox: the second run must store no duplicate notice
and announce no notice a second time.
"""

from __future__ import annotations

import email
import os
from pathlib import Path

import pytest

from veilleuse.config.settings import get_settings
from veilleuse.flows.runtime import prepare_prefect
from veilleuse.records.db import Records
from veilleuse.records.tables import DigestItemRow
from veilleuse.search.factory import open_store

pytestmark = pytest.mark.slow


def test_weekly_watch_twice_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEILLEUSE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("VEILLEUSE_STORE__URL", raising=False)
    if "PREFECT_HOME" not in os.environ:
        monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    prepare_prefect(tmp_path / "var")
    from veilleuse.flows.weekly import weekly_watch

    first = weekly_watch(load_demo_actors=True)
    settings = get_settings()
    store = open_store(settings)
    stored = store.count()
    store.close()
    outbox = settings.outbox_dir()
    mails = sorted(outbox.glob("*.eml"))

    assert stored >= 100
    assert sum(r.new for r in first.runs) == stored
    assert len(first.digests.sent) >= 5
    assert len(mails) == len(first.digests.sent)
    message = email.message_from_bytes(mails[0].read_bytes())
    assert message["Subject"].startswith("Veilleuse")
    assert message.is_multipart()

    second = weekly_watch(load_demo_actors=True)
    store = open_store(settings)
    assert store.count() == stored
    store.close()
    assert sum(r.new for r in second.runs) == 0
    assert sum(r.unchanged for r in second.runs) == sum(r.fetched - r.rejected for r in second.runs)
    assert second.digests.sent == [] and second.digests.items == 0
    assert sorted(outbox.glob("*.eml")) == mails
    assert second.embedded.embedded == 0

    with Records(settings.records_url()).session() as session:
        items = [(r.actor_id, r.notice_uid) for r in session.query(DigestItemRow)]
    assert len(items) == len(set(items)) == first.digests.items
