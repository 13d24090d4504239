"""One run at a time per flow and territory: two runs starting together, on SQLite and on
PostgreSQL — one does the work, the other stops at once with ConcurrentRunError."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from veilleuse.app.context import Context
from veilleuse.app.run_lock import exclusive, run_lock
from veilleuse.core.errors import ConcurrentRunError
from veilleuse.records import locks
from veilleuse.records.db import Records


def test_two_runs_at_once_one_sends_and_the_other_is_skipped(records_url: str) -> None:
    Records(records_url).engine.dispose()  # migrate once, before the two "processes"
    handles = [Records(records_url), Records(records_url)]
    both_ready = threading.Barrier(2, timeout=20)
    sent: list[str] = []
    skipped: list[str] = []

    def run(index: int) -> None:
        ctx = Context(records=handles[index])
        both_ready.wait()
        try:
            with run_lock(ctx, "weekly:mel"):
                time.sleep(0.5)  # the digest stage, long enough for the other to try
                sent.append(f"run {index}")
        except ConcurrentRunError as exc:
            skipped.append(str(exc))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    try:
        for handle in handles:
            handle.engine  # noqa: B018 - connect first, so both start together
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        for handle in handles:
            handle.dispose()
    assert len(sent) == 1 and len(skipped) == 1, (sent, skipped)
    assert "weekly:mel" in skipped[0] and "sans rien envoyer" in skipped[0]


def test_the_lock_is_free_again_after_a_run_and_per_name(records_url: str) -> None:
    records = Records(records_url)
    ctx = Context(records=records)
    try:
        with run_lock(ctx, "weekly:mel"):
            with run_lock(ctx, "weekly:other"):
                pass
            with pytest.raises(ConcurrentRunError), run_lock(ctx, "weekly:mel"):
                pass  # pragma: no cover
        with run_lock(ctx, "weekly:mel"):
            pass
    finally:
        records.dispose()


def test_an_expired_sqlite_lease_is_taken_over(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL's advisory lock ends with its connection, there is no lease."""
    records = Records(f"sqlite:///{tmp_path / 'records.sqlite3'}")
    try:
        then = datetime(2026, 1, 1, tzinfo=UTC)
        crashed = locks.try_acquire(
            records, "alerts:mel", "crashed", ttl=timedelta(hours=1), now=then
        )
        assert crashed is not None
        early = then + timedelta(minutes=30)
        assert (
            locks.try_acquire(records, "alerts:mel", "b", ttl=timedelta(hours=1), now=early) is None
        )
        late = then + timedelta(hours=2)
        taken = locks.try_acquire(records, "alerts:mel", "b", ttl=timedelta(hours=1), now=late)
        assert taken is not None
        crashed.release()  # the crashed holder's release does not free the new lease
        assert (
            locks.try_acquire(records, "alerts:mel", "c", ttl=timedelta(hours=1), now=late) is None
        )
        taken.release()
        assert locks.try_acquire(records, "alerts:mel", "c", ttl=timedelta(hours=1), now=late)
    finally:
        records.dispose()


def test_a_second_flow_run_returns_an_empty_report_and_says_why(
    records_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """What the flows' tasks do (`exclusive`): the run that finds the lock held sends nothing,
    logs a warning naming the job and returns an empty report (a non-failed state)."""
    records = Records(records_url)
    ctx = Context(records=records)
    try:
        with run_lock(ctx, "alerts"):
            report = exclusive(ctx, "alerts", lambda: pytest.fail("ran"), list)
        assert report == []
        assert "« alerts »" in caplog.text
        assert exclusive(ctx, "alerts", lambda: ["sent"], list) == ["sent"]
    finally:
        records.dispose()
