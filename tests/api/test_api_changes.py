"""The changes feed: each change once per walk, a changed notice again, position paging that
survives changes made while a client walks (notices of one batch share one `updated_at`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest
from api_helpers import NOTICES, UIDS, assert_problem
from fastapi.testclient import TestClient

from veilleuse.app.context import Context
from veilleuse.core.models import Notice

ApiClients = Callable[[str], TestClient]
EPOCH = "2000-01-01T00:00:00Z"


def page(client: TestClient, qs: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/changes?{qs}")
    assert response.status_code == 200, response.text[:500]
    body: dict[str, Any] = response.json()
    return body


def walk(
    client: TestClient, qs: str, between: Callable[[int], None] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Every item from `qs` on, following next_cursor (sent with the same parameters, as
    a cursor pages one query); `between(n)` runs after page n."""
    items: list[dict[str, Any]] = []
    body = page(client, qs)
    n = 0
    while True:
        items += body["items"]
        if body["next_cursor"] is None:
            return items, body["high_water_mark"]
        if between:
            between(n)
        n += 1
        assert n < 60
        body = page(client, f"{qs}&cursor={quote(body['next_cursor'])}")


def order_key(item: dict[str, Any]) -> tuple[datetime, str]:
    return (datetime.fromisoformat(item["updated_at"]), item["uid"])


def rewritten(notice: Notice, title: str) -> Notice:
    return notice.model_copy(update={"title": title, "content_hash": ""}).with_hash()


def test_a_walk_returns_each_notice_once_oldest_change_first(
    api_client: ApiClients, ctx: Context
) -> None:
    items, mark = walk(api_client("officer"), f"updated_since={quote(EPOCH)}&per_page=4")
    uids = [i["uid"] for i in items]
    assert sorted(uids) == UIDS and len(uids) == len(set(uids))
    assert [order_key(i) for i in items] == sorted(order_key(i) for i in items)
    assert mark == max(i["updated_at"] for i in items)
    assert all("raw" not in i for i in items)


def test_a_changed_notice_comes_again_an_unchanged_one_does_not(
    api_client: ApiClients, ctx: Context
) -> None:
    client = api_client("staff")
    _, mark = walk(client, f"updated_since={quote(EPOCH)}")
    assert mark is not None
    ctx.store.write([NOTICES[0]])  # same content: only last_seen moves
    ctx.store.write([rewritten(NOTICES[3], "Nettoyage des vitres — rectificatif")])
    items, later = walk(client, f"updated_since={quote(mark)}")
    changed = [i for i in items if i["updated_at"] > mark]
    assert [i["uid"] for i in changed] == [NOTICES[3].uid]
    assert changed[0]["title"].endswith("rectificatif")
    # inclusive: only the notices of the high-water instant itself come again
    assert {i["uid"] for i in items if i["updated_at"] == mark} <= set(UIDS)
    assert NOTICES[0].uid not in {i["uid"] for i in changed}
    assert later is not None and later > mark
    again, _ = walk(client, f"updated_since={quote(later)}")
    assert [i["uid"] for i in again] == [NOTICES[3].uid]  # at-least-once at the boundary only


def test_changes_made_during_a_walk_skip_nothing(api_client: ApiClients, ctx: Context) -> None:
    """All the notices share one instant (one batch): the cursor's anchor moves when notices
    already returned change; the rest of the batch is still returned, exactly once, and the
    changed notices come again at the end with their new instant."""
    first_page = sorted(UIDS)[:3]
    by_uid = {n.uid: n for n in NOTICES}

    def change_returned(n: int) -> None:
        if n == 0:
            ctx.store.write([rewritten(by_uid[u], f"modifié {u}") for u in first_page[1:]])

    items, _ = walk(
        api_client("officer"), f"updated_since={quote(EPOCH)}&per_page=3", change_returned
    )
    uids = [i["uid"] for i in items]
    assert sorted(set(uids)) == UIDS
    assert uids[: len(UIDS)] == UIDS  # the batch, in uid order, nothing skipped
    assert uids[len(UIDS) :] == first_page[1:]  # then the two changes


def test_the_feed_takes_the_search_filters(api_client: ApiClients, ctx: Context) -> None:
    items, _ = walk(api_client("officer"), f"updated_since={quote(EPOCH)}&dep=59&per_page=2")
    expected = sorted(n.uid for n in NOTICES if "59" in n.places.departments)
    assert sorted(i["uid"] for i in items) == expected


def test_nothing_changed_keeps_the_mark(api_client: ApiClients, ctx: Context) -> None:
    body = page(api_client("officer"), "updated_since=2999-01-01T00:00:00%2B00:00")
    assert body == {
        "items": [],
        "next_cursor": None,
        "high_water_mark": "2999-01-01T00:00:00Z",
    }


@pytest.mark.parametrize(
    ("qs", "field"),
    [
        ("", "updated_since"),
        ("updated_since=hier", "updated_since"),
        (f"updated_since={EPOCH}&q=nettoyage", "q"),
        (f"updated_since={EPOCH}&sort=-updated", "sort"),
        (f"updated_since={EPOCH}&page=2", "page"),
        ("cursor=abc.def", "cursor"),
    ],
)
def test_bad_feed_parameters_are_400s(
    api_client: ApiClients, ctx: Context, qs: str, field: str
) -> None:
    body = assert_problem(api_client("officer").get(f"/api/v1/changes?{qs}"), 400)
    assert field in [e["field"] for e in body["errors"]]


def test_a_feed_cursor_is_bound_to_its_filters(api_client: ApiClients, ctx: Context) -> None:
    client = api_client("officer")
    cursor = page(client, f"updated_since={quote(EPOCH)}&dep=59&per_page=2")["next_cursor"]
    assert_problem(client.get(f"/api/v1/changes?cursor={quote(cursor)}&dep=62"), 400)
    assert client.get(f"/api/v1/changes?cursor={quote(cursor)}&dep=59").status_code == 200
