"""The match stage scores only what changed: new or changed notices × every actor, changed
actors × open notices; re-runs are idempotent, past deadlines are neither scored nor kept.

Constructed actors and notices (invented for the test) on the embedded store, with the
bag-of-words `HashEmbedder` of the matching tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fakes import HashEmbedder
from sqlalchemy import func, select

from veilleuse.app.context import Context
from veilleuse.app.match import match_stage
from veilleuse.config.settings import MatchingSettings, Settings
from veilleuse.core.models import Actor, CpvInterest, EssFamily, Notice, NoticeKind, Places
from veilleuse.core.models import Territory as Place
from veilleuse.records import actors as actor_records
from veilleuse.records import match_state
from veilleuse.records import matches as match_records
from veilleuse.records.tables import MatchRow
from veilleuse.search.embedded_store import EmbeddedStore

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
SOON = NOW + timedelta(days=20)


def actor(ident: str, description: str, cpv: str) -> Actor:
    return Actor(
        id=ident, name=ident, family=EssFamily.ASSOCIATION, description=description,
        cpv_interests=[CpvInterest(code=cpv)], territory=Place(departments=["59"]),
    )  # fmt: skip


def notice(uid: str, title: str, cpv: str, deadline: datetime = SOON) -> Notice:
    return Notice(
        uid=f"boamp:{uid}", source="boamp", native_id=uid, kind=NoticeKind.TENDER, title=title,
        cpv=[cpv], places=Places(departments=["59"]), deadline=deadline,
    ).with_hash()  # fmt: skip


GARDENS = actor("jardins", "Entretien des espaces verts, tonte et taille de haies", "77310000")
CLEANING = actor("proprete", "Nettoyage de locaux et de bureaux, vitrerie", "90910000")


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    settings = Settings(data_dir=tmp_path)
    with Context(settings, store=store, embedder=HashEmbedder()) as context:
        actor_records.upsert_actors(context.records, [GARDENS, CLEANING])
        store.write(
            [
                notice("1", "Entretien des espaces verts de la commune, tonte", "77310000"),
                notice("2", "Nettoyage des bureaux de la mairie et vitrerie", "90910000"),
            ]
        )
        yield context


def stored(ctx: Context) -> set[tuple[str, str, float]]:
    return {(m.actor_id, m.notice_uid, m.score) for m in match_records.load_matches(ctx.records)}


def test_first_run_is_full_and_a_rerun_scores_nothing(ctx: Context) -> None:
    first = match_stage(ctx, NOW)
    assert (first.mode, first.new_notices, first.changed_actors) == ("full", 2, 2)
    before = stored(ctx)
    assert ("jardins", "boamp:1") in {(a, n) for a, n, _ in before}
    again = match_stage(ctx, NOW)
    assert (again.mode, again.new_notices, again.changed_actors, again.matches) == (
        "incremental", 0, 0, 0,
    )  # fmt: skip
    assert stored(ctx) == before
    with ctx.records.session() as s:  # no duplicate rows
        assert s.scalar(select(func.count()).select_from(MatchRow)) == len(before)
    runs = match_state.last_runs(ctx.records)
    assert [r["mode"] for r in runs] == ["incremental", "full"]


def test_a_new_notice_is_scored_against_every_actor_and_nothing_else(ctx: Context) -> None:
    match_stage(ctx, NOW)
    ctx.store.write([notice("3", "Tonte et taille de haies du parc", "77310000")])
    report = match_stage(ctx, NOW)
    assert (report.new_notices, report.changed_actors) == (1, 0)
    assert ("jardins", "boamp:3") in {(a, n) for a, n, _ in stored(ctx)}
    assert {m.notice_uid for m in match_records.load_matches(ctx.records)} >= {"boamp:3"}


def test_a_changed_notice_is_scored_again(ctx: Context) -> None:
    match_stage(ctx, NOW)
    changed = notice("2", "Entretien des espaces verts et tonte du stade", "77310000")
    ctx.store.write([changed])
    report = match_stage(ctx, NOW)
    assert (report.new_notices, report.changed_actors) == (1, 0)
    pairs = {(a, n) for a, n, _ in stored(ctx)}
    assert ("jardins", "boamp:2") in pairs
    assert ("proprete", "boamp:2") not in pairs  # its old match went with the old text


def test_a_changed_actor_is_scored_against_open_notices(ctx: Context) -> None:
    match_stage(ctx, NOW)
    assert ("proprete", "boamp:1") not in {(a, n) for a, n, _ in stored(ctx)}
    gardener = actor("proprete", "Entretien des espaces verts et tonte", "77310000")
    actor_records.upsert_actors(ctx.records, [gardener])
    report = match_stage(ctx, NOW)
    assert (report.new_notices, report.changed_actors) == (0, 1)
    pairs = {(a, n) for a, n, _ in stored(ctx)}
    assert ("proprete", "boamp:1") in pairs
    assert ("proprete", "boamp:2") not in pairs


def test_a_past_deadline_is_not_rescored_and_its_matches_go(ctx: Context) -> None:
    match_stage(ctx, NOW)
    later = SOON + timedelta(days=2)
    report = match_stage(ctx, later)
    assert (report.notices, report.new_notices, report.matches) == (0, 0, 0)
    assert stored(ctx) == set()
    assert match_state.scored_hashes(ctx.records, "notice") == {}


def test_a_full_run_gives_the_incremental_result(ctx: Context) -> None:
    match_stage(ctx, NOW)
    ctx.store.write([notice("3", "Tonte et taille de haies du parc", "77310000")])
    match_stage(ctx, NOW)
    incremental = stored(ctx)
    full = match_stage(ctx, NOW, full=True)
    assert full.mode == "full"
    assert stored(ctx) == incremental


def test_with_a_full_list_a_new_notice_enters_only_if_it_beats_it(tmp_path: Path) -> None:
    """top_k 1: the stored match is the floor of the incremental run, and the result is the
    full run's."""
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    settings = Settings(data_dir=tmp_path, matching=MatchingSettings(top_k=1))
    with Context(settings, store=store, embedder=HashEmbedder()) as ctx:
        actor_records.upsert_actors(ctx.records, [GARDENS])
        store.write(
            [notice("1", "Entretien des espaces verts, tonte et taille de haies", "77310000")]
        )
        match_stage(ctx, NOW)
        assert {n for _, n, _ in stored(ctx)} == {"boamp:1"}
        store.write([notice("2", "Tonte du stade", "77310000")])  # fewer shared words
        match_stage(ctx, NOW)
        assert {n for _, n, _ in stored(ctx)} == {"boamp:1"}
        incremental = stored(ctx)
        match_stage(ctx, NOW, full=True)
        assert stored(ctx) == incremental
