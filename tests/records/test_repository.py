"""Records database: actors upsert, send log uniqueness, source runs, grouped bid history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from veilleuse.core.errors import RecordsError
from veilleuse.core.models import Actor, GroupedBid, GroupedBidStatus, Money
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import matches as match_records
from veilleuse.records import sources as source_records
from veilleuse.records.db import Records


@pytest.fixture
def records(tmp_path: Path) -> Records:
    return Records(f"sqlite:///{tmp_path / 'records.sqlite3'}")


def actor(actor_id: str, siret: str | None = None, name: str = "Asso") -> Actor:
    return Actor(id=actor_id, name=name, family="association", siret=siret)  # type: ignore[arg-type]


def test_upsert_updates_in_place_by_id_and_by_siret(records: Records) -> None:
    assert actor_records.upsert_actors(records, [actor("a1", "12345678901234")]) == (1, 0)
    assert actor_records.upsert_actors(records, [actor("a1", "12345678901234", "Renamed")]) == (
        0,
        1,
    )
    assert actor_records.upsert_actors(
        records, [actor("other-id", "12345678901234", "By SIRET")]
    ) == (0, 1)
    actors = actor_records.list_actors(records)
    assert [(a.id, a.name) for a in actors] == [("a1", "By SIRET")]


def test_send_log_refuses_a_second_announcement(records: Records) -> None:
    now = datetime(2026, 11, 23, 8, tzinfo=UTC)
    first = digest_log.next_digest_id(records, "a1", now)
    assert first == "a1:2026-11-23"
    digest_log.reserve_digest(records, first, "a1", now, "message", ["boamp:1", "ted:2"])
    second = digest_log.next_digest_id(records, "a1", now)
    assert second == "a1:2026-11-23#2"
    with pytest.raises(RecordsError):
        digest_log.reserve_digest(records, second, "a1", now, "message", ["ted:2", "boamp:3"])
    # the failed reservation left nothing behind
    assert digest_log.sent_uids(records, "a1") == {"boamp:1", "ted:2"}
    assert [p.digest_id for p in digest_log.unsent_digests(records)] == [first]
    digest_log.mark_digest(records, first, "sent")
    assert digest_log.unsent_digests(records) == []
    assert digest_log.digest_counts(records) == {"sent": 1}


def test_migrations_are_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.sqlite3'}"
    actor_records.upsert_actors(Records(url), [actor("a1")])
    again = Records(url)
    again.migrate  # noqa: B018 - attribute exists
    assert [a.id for a in actor_records.list_actors(again)] == ["a1"]


def test_source_runs_and_state(records: Records) -> None:
    started = datetime(2026, 11, 23, 8, tzinfo=UTC)
    source_records.record_source_run(
        records, source_records.SourceRun("boamp", "COMPLETE", started, fetched=3, new=3)
    )
    source_records.record_source_run(
        records,
        source_records.SourceRun(
            "boamp", "DEGRADED", started, fetched=4, rejected=1, problems=["x"]
        ),
    )
    runs = source_records.last_source_runs(records)
    assert [(r.source, r.status, r.rejected, r.problems) for r in runs] == [
        ("boamp", "DEGRADED", 1, ["x"])
    ]
    source_records.set_source_state(records, "boamp", watermark="2026-11-22")
    assert source_records.get_source_state(records, "boamp")["watermark"] == "2026-11-22"


def test_grouped_bid_history(records: Records) -> None:
    bid_id = bid_records.create_grouped_bid(
        records, GroupedBid(notice_uid="boamp:1", members=["a1", "a2"], lead="a1", lots=["1", "2"])
    )
    bid_records.set_grouped_bid_status(records, bid_id, GroupedBidStatus.SUBMITTED, note="dépôt")
    bid_records.set_grouped_bid_status(
        records, bid_id, GroupedBidStatus.WON, amount=Money(amount=120000.0)
    )
    (bid,) = bid_records.list_grouped_bids(records)
    assert bid.status is GroupedBidStatus.WON
    assert bid.amount == Money(amount=120000.0)
    assert [e.status for e in bid.history] == [
        GroupedBidStatus.SUGGESTED,
        GroupedBidStatus.SUBMITTED,
        GroupedBidStatus.WON,
    ]
    with pytest.raises(RecordsError):
        bid_records.set_grouped_bid_status(records, 999, GroupedBidStatus.LOST)


def test_feedback_rejections(records: Records) -> None:
    match_records.add_feedback(records, "a1", "boamp:1", relevant=False, reason="hors métier")
    match_records.add_feedback(records, "a1", "boamp:2", relevant=True)
    assert match_records.rejected_pairs(records) == {("a1", "boamp:1")}
