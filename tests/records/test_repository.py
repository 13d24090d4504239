"""Records database: actors upsert, send log uniqueness, source runs, feedback (the grouped-bid
register has its own module: test_grouped_bids)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from veilleuse.core.errors import RecordsError
from veilleuse.core.models import (
    Actor,
    GroupedBidSuggestion,
    Match,
)
from veilleuse.records import actors as actor_records
from veilleuse.records import digest_log
from veilleuse.records import matches as match_records
from veilleuse.records import sources as source_records
from veilleuse.records.db import Records


@pytest.fixture
def records(records_url: str) -> Iterator[Records]:
    """A fresh records database, on SQLite and on PostgreSQL."""
    handle = Records(records_url)
    yield handle
    handle.dispose()


def actor(actor_id: str, siret: str | None = None, name: str = "Asso") -> Actor:
    return Actor(id=actor_id, name=name, family="association", siret=siret)  # type: ignore[arg-type]


@contextmanager
def count_selects(records: Records, verb: str = "SELECT") -> Iterator[list[str]]:
    """The statements starting with `verb` that run inside the block."""
    statements: list[str] = []

    def log(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith(verb):
            statements.append(statement)

    event.listen(records.engine, "before_cursor_execute", log)
    try:
        yield statements
    finally:
        event.remove(records.engine, "before_cursor_execute", log)


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


def test_upsert_in_one_batch_reads_the_rows_up_front(records: Records) -> None:
    actor_records.upsert_actors(records, [actor("a1", "11111111111111"), actor("a2")])
    with count_selects(records) as selects:
        result = actor_records.upsert_actors(
            records,
            [
                actor("a1", "22222222222222", "Nouveau SIRET"),
                actor("new", "11111111111111", "Ancien SIRET de a1"),  # a1 no longer has it
                actor("a3", "33333333333333"),
                actor("a3-bis", "33333333333333", "Même SIRET que a3"),
                *[actor(f"b{i}") for i in range(20)],
            ],
        )
    assert result == (22, 2)
    assert len(selects) == 2
    names = {a.id: a.name for a in actor_records.list_actors(records)}
    assert (names["a1"], names["new"], names["a3"]) == (
        "Nouveau SIRET",
        "Ancien SIRET de a1",
        "Même SIRET que a3",
    )
    assert "a3-bis" not in names


def test_matches_and_suggestions_are_upserted_in_one_statement(records: Records) -> None:
    def matches(score: float) -> list[Match]:
        return [
            Match(actor_id=f"a{i % 3}", notice_uid=f"boamp:{i}", score=score) for i in range(30)
        ]

    match_records.save_matches(records, matches(10.0))
    with count_selects(records, "INSERT") as inserts:
        match_records.save_matches(records, [*matches(20.0), matches(30.0)[0]])
    assert len(inserts) == 1
    loaded = match_records.load_matches(records)
    assert len(loaded) == 30
    assert sorted({m.score for m in loaded}) == [20.0, 30.0]
    assert match_records.load_matches(records, "a0")[0].score == 30.0

    team = GroupedBidSuggestion(
        notice_uid="boamp:1", members=["a1", "a2"], lead="a1", assignments=[], coverage=1.0, score=1
    )
    match_records.save_suggestions(records, [team])
    match_records.save_suggestions(records, [team.model_copy(update={"score": 2.0})])
    assert match_records.load_suggestions(records)["boamp:1"].score == 2.0
    match_records.save_matches(records, [])
    match_records.reset_matches(records)
    assert match_records.load_matches(records) == []


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
    assert digest_log.digest_counts(records) == {"pending": 1}
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
    for status in ("FAILED", "COMPLETE"):
        source_records.record_source_run(
            records, source_records.SourceRun("ted", status, started, fetched=1)
        )
    two_each = source_records.last_source_runs(records, limit_per_source=2)
    assert [(r.source, r.status) for r in two_each] == [
        ("boamp", "DEGRADED"),
        ("boamp", "COMPLETE"),
        ("ted", "COMPLETE"),
        ("ted", "FAILED"),
    ]
    source_records.set_source_state(records, "boamp", watermark="2026-11-22")
    assert source_records.get_source_state(records, "boamp")["watermark"] == "2026-11-22"


def test_duplicate_rates_of_the_last_index_run_replace_the_previous_ones(records: Records) -> None:
    assert source_records.duplicate_rates(records) == {}
    first = {("ted", "boamp"): 0.2, ("boamp", "ted"): 1 / 6, ("at", "avise"): 0.5}
    source_records.replace_duplicate_rates(records, first, datetime(2026, 11, 23, tzinfo=UTC))
    assert source_records.duplicate_rates(records) == dict(sorted(first.items()))
    assert list(source_records.duplicate_rates(records)) == sorted(first)
    # a later run's rates replace them all: a pair without duplicates any more is gone
    source_records.replace_duplicate_rates(records, {("boamp", "ted"): 0.25})
    with count_selects(records) as selects:
        assert source_records.duplicate_rates(records) == {("boamp", "ted"): 0.25}
    assert len(selects) == 1
    source_records.replace_duplicate_rates(records, {})
    assert source_records.duplicate_rates(records) == {}


def test_feedback_rejections(records: Records) -> None:
    match_records.add_feedback(records, "a1", "boamp:1", relevant=False, reason="hors métier")
    match_records.add_feedback(records, "a1", "boamp:2", relevant=True)
    assert match_records.rejected_pairs(records) == {("a1", "boamp:1")}
