"""The instant a write stamps on changed notices (`updated_at`), which the changes feed resumes
from: a notice that becomes visible after a client read the feed must not carry an instant
earlier than one the client already saw, or a client resuming from its high-water mark misses it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from veilleuse.core.models import Notice, NoticeKind
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import Filters, NoticeStore, Sort, SortKey

LATEST_FIRST = Sort(key=SortKey.UPDATED, descending=True)
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


def notice(uid: str, title: str = "Entretien des espaces verts") -> Notice:
    source, native = uid.split(":", 1)
    return Notice(
        uid=uid, source=source, native_id=native, kind=NoticeKind.TENDER, title=title
    ).with_hash()


def updated_at(store: NoticeStore, uid: str) -> datetime:
    hits = store.search_text("", Filters(uids=[uid])).hits
    assert hits and hits[0].updated_at is not None
    return hits[0].updated_at


class Clock:
    """A clock for the store's `_now`: fixed instants, and optionally one call that waits."""

    def __init__(self, *instants: datetime) -> None:
        self.instants = list(instants)
        self.calls = 0
        self.entered = threading.Event()  # the blocking call has been reached
        self.release = threading.Event()  # let the blocking call return
        self.block_thread: str | None = None

    def __call__(self) -> datetime:
        self.calls += 1
        if threading.current_thread().name == self.block_thread:
            self.block_thread = None
            value = self.instants.pop(0) if self.instants else datetime.now(UTC)
            self.entered.set()
            # a correct store holds its write lock here, so nobody else can write meanwhile:
            # wait a little only, then go on (never deadlock the test)
            self.release.wait(timeout=0.5)
            return value
        return self.instants.pop(0) if self.instants else datetime.now(UTC)


@pytest.fixture
def use_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[NoticeStore, Clock], None]]:
    def install(store: NoticeStore, clock: Clock) -> None:
        monkeypatch.setattr(sys.modules[type(store).__module__], "_now", clock)

    yield install


def test_a_write_waiting_for_another_is_stamped_after_it(
    store: NoticeStore, use_clock: Callable[[NoticeStore, Clock], None]
) -> None:
    """Batch A reads the clock, batch B is written and read by a client; A must not then be
    stored with an instant before the client's high-water mark."""
    clock = Clock()
    clock.block_thread = "writer-a"
    use_clock(store, clock)
    errors: list[BaseException] = []

    def run(uid: str) -> None:
        try:
            store.write([notice(uid)])
        except BaseException as exc:  # reported below: a thread's error would be lost
            errors.append(exc)

    writer_a = threading.Thread(target=run, args=("x:a",), name="writer-a")
    writer_a.start()
    assert clock.entered.wait(timeout=10)
    writer_b = threading.Thread(target=run, args=("x:b",), name="writer-b")
    writer_b.start()
    writer_b.join(timeout=0.3)  # done at once unless A holds the write lock
    first_read = store.search_text("", sort=LATEST_FIRST, limit=10).hits
    clock.release.set()
    writer_a.join(timeout=10)
    writer_b.join(timeout=10)
    assert not errors and not writer_a.is_alive() and not writer_b.is_alive()

    seen = {h.notice.uid for h in first_read}
    stamps = [h.updated_at for h in first_read if h.updated_at is not None]
    high_water = max(stamps) if stamps else None
    resumed = {h.notice.uid for h in store.search_text("", Filters(updated_since=high_water)).hits}
    assert {"x:a", "x:b"} - seen <= resumed, (seen, resumed)
    assert store.count() == 2


def test_embedded_instants_never_go_back(
    tmp_path: Path, use_clock: Callable[[NoticeStore, Clock], None]
) -> None:
    """A clock gone back (an NTP step) does not date a write before the last one: each write's
    instant is strictly later than every instant stored before it, by any store on the file."""
    path = tmp_path / "notices.sqlite3"
    one, other = EmbeddedStore(path), EmbeddedStore(path)
    try:
        use_clock(one, Clock(T0, T0 - timedelta(hours=1), T0 - timedelta(hours=2)))
        one.write([notice("x:1")])
        one.write([notice("x:2")])
        assert updated_at(one, "x:2") > updated_at(one, "x:1")
        # a second store on the same file (another process) sees the instants stored there
        other.write([notice("x:3")])
        assert updated_at(other, "x:3") > updated_at(one, "x:2")
        # an unchanged notice keeps its instant; a changed one moves past every other
        one.write([notice("x:1"), notice("x:2", "Nettoyage")])
        assert updated_at(one, "x:2") > updated_at(one, "x:3") > updated_at(one, "x:1")
    finally:
        one.close()
        other.close()
