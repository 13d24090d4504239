"""`changes`: oldest change first, position paging through a batch sharing one instant,
resuming after notices of that instant changed, the high-water mark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from veilleuse.app.changes import ChangePosition, changes
from veilleuse.app.context import Context
from veilleuse.config.settings import Settings
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import Notice, NoticeKind, Places
from veilleuse.search.embedded_store import EmbeddedStore
from veilleuse.search.store import Filters


def notice(uid: str, title: str = "Avis", dep: str = "59") -> Notice:
    return Notice(
        uid=uid, source="boamp", native_id=uid, kind=NoticeKind.TENDER, title=title,
        places=Places(departments=[dep]),
    ).with_hash()  # fmt: skip


UIDS = [f"n{i:02d}" for i in range(7)]


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        store.write([notice(u, dep="59" if i % 2 else "62") for i, u in enumerate(UIDS)])
        yield context


def walk(ctx: Context, limit: int, filters: Filters | None = None) -> list[str]:
    seen: list[str] = []
    report = changes(ctx, filters, since=None, limit=limit)
    while True:
        seen += [h.notice.uid for h in report.hits]
        if not report.more:
            return seen
        report = changes(ctx, filters, after=report.position, limit=limit)


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 50])
def test_a_batch_is_walked_once_whatever_the_page_size(ctx: Context, limit: int) -> None:
    assert walk(ctx, limit) == UIDS


def test_filters_narrow_the_feed(ctx: Context) -> None:
    assert walk(ctx, 2, Filters(departments=["59"])) == UIDS[1::2]


def test_positions_count_the_notices_of_their_instant(ctx: Context) -> None:
    first = changes(ctx, limit=3)
    assert first.position is not None and first.position.uid == UIDS[2]
    assert first.position.seen == 3 and first.more
    second = changes(ctx, after=first.position, limit=3)
    assert second.position is not None and second.position.seen == 6
    assert second.high_water_mark == first.high_water_mark  # one instant


def test_resuming_after_notices_of_the_instant_changed(ctx: Context) -> None:
    first = changes(ctx, limit=3)
    ctx.store.write([notice(UIDS[0], "changé"), notice(UIDS[2], "changé aussi")])
    rest = changes(ctx, after=first.position, limit=50)
    assert [h.notice.uid for h in rest.hits] == [*UIDS[3:], UIDS[0], UIDS[2]]
    assert rest.high_water_mark is not None and first.high_water_mark is not None
    assert rest.high_water_mark > first.high_water_mark


def test_nothing_new_keeps_the_instant_asked(ctx: Context) -> None:
    everything = changes(ctx, limit=50)
    mark = everything.high_water_mark
    assert mark is not None and not everything.more
    again = changes(ctx, since=mark, limit=50)
    assert [h.notice.uid for h in again.hits] == UIDS  # inclusive: the instant itself
    later = mark.replace(year=mark.year + 1)
    empty = changes(ctx, since=later, limit=50)
    assert (empty.hits, empty.position, empty.more, empty.high_water_mark) == (
        [],
        None,
        False,
        later,
    )


def test_a_position_past_the_deepest_window_is_refused(ctx: Context) -> None:
    mark = changes(ctx, limit=1).high_water_mark
    assert mark is not None
    with pytest.raises(ValidationError):
        changes(ctx, after=ChangePosition(mark, UIDS[0], 10_000), limit=10)
