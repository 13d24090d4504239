"""Incremental runs give a full run's matches and grouped-bid suggestions week after week: an
actor whose full list loses a match (deadline passed, notice closed or changed, rejection) gets
the notices just below it back, and a changed actor gets suggestions on older notices.

Two data folders receive the same notices, actors and feedback each week; one runs the match
stage incrementally, the other with `full=True`, and their stored matches (scores, components,
reasons) and suggestions must be equal. Word rarity is held constant (every stem weighs 1):
it is computed over the open notices of the day, so a stored score may differ from a full
run's by rarity alone when the corpus changed, the one documented difference.
Constructed actors and notices, invented for the test; the bag-of-words `HashEmbedder`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes import HashEmbedder

from veilleuse.app.context import Context
from veilleuse.app.feedback import add_feedback
from veilleuse.app.match import LOCK, MatchRunReport, match_stage
from veilleuse.app.run_lock import run_lock
from veilleuse.app.territories import DEMO_TERRITORIES, ensure_territory
from veilleuse.config.settings import MatchingSettings, Settings
from veilleuse.core.models import (
    Actor,
    Capacity,
    CpvInterest,
    EssFamily,
    Lot,
    Money,
    Notice,
    NoticeKind,
    NoticeStatus,
    Places,
)
from veilleuse.core.models import Territory as Place
from veilleuse.matching import incremental
from veilleuse.matching.lexical import Lexicon
from veilleuse.records import actors as actor_records
from veilleuse.records import matches as match_records
from veilleuse.records import territories as territory_records
from veilleuse.search.embedded_store import EmbeddedStore

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def actor(ident: str, family: EssFamily, text: str, cpv: str, dep: str = "59") -> Actor:
    return Actor(
        id=ident, name=ident.title(), family=family, description=text,
        cpv_interests=[CpvInterest(code=cpv)], territory=Place(departments=[dep]),
        capacity=Capacity(staff=20, turnover=500_000),
    )  # fmt: skip


def notice(uid: str, title: str, cpv: str, days: int = 40, **more: Any) -> Notice:
    return Notice(
        uid=f"boamp:{uid}", source="boamp", native_id=uid, kind=NoticeKind.TENDER, title=title,
        cpv=[cpv], places=Places(departments=["59"]), deadline=NOW + timedelta(days=days), **more,
    ).with_hash()  # fmt: skip


def three_lots(uid: str, first_lot_days: int = 40) -> Notice:
    parts = [
        ("Tonte et débroussaillage des espaces verts", "77310000"),
        ("Nettoyage des bureaux et des vitres", "90919200"),
        ("Préparation de repas pour les cantines scolaires", "55321000"),
    ]
    days = [first_lot_days, 40, 40]
    lots = [
        Lot(
            id=str(i + 1), title=title, cpv=[code], estimated_value=Money(amount=100_000.0),
            deadline=NOW + timedelta(days=days[i]),
        )
        for i, (title, code) in enumerate(parts)
    ]  # fmt: skip
    return Notice(
        uid=f"boamp:{uid}", source="boamp", native_id=uid, kind=NoticeKind.TENDER,
        title="Services aux équipements municipaux", places=Places(departments=["59"]),
        cpv=[code for _, code in parts], lots=lots,
    ).with_hash()  # fmt: skip


GARDENS = actor(
    "jardins", EssFamily.SIAE_ACI, "Entretien des espaces verts, tonte et taille de haies",
    "77310000",
)  # fmt: skip
CLEANING = actor(
    "proprete", EssFamily.EA, "Nettoyage de bureaux et de locaux, nettoyage de vitres", "90919200"
)
FESTIVAL = actor(
    "cuisine", EssFamily.SCOP, "Organisation de festivals de musique et de concerts", "79952000"
)
KITCHEN = FESTIVAL.model_copy(
    update={
        "description": "Préparation de repas pour la restauration collective et les cantines",
        "cpv_interests": [CpvInterest(code="55321000")],
    }
)

GARDEN_NOTICES = [
    notice("g1", "Entretien des espaces verts, tonte et taille de haies du parc", "77310000", 5),
    notice("g2", "Entretien des espaces verts et tonte des pelouses", "77310000"),
    notice("g3", "Tonte des pelouses du stade et taille", "77310000"),
    notice("g4", "Taille de haies", "77310000"),
]
CLEANING_NOTICES = [
    notice("c1", "Nettoyage de bureaux et de locaux de la mairie, vitres", "90919200"),
    notice("c2", "Nettoyage de locaux scolaires", "90919200"),
    notice("c3", "Nettoyage de vitres", "90919200"),
]


class World:
    """One data folder: an embedded store and a records database."""

    def __init__(self, stack: ExitStack, folder: Path, top_k: int) -> None:
        folder.mkdir()
        self.store = EmbeddedStore(folder / "notices.sqlite3")
        settings = Settings(data_dir=folder, matching=MatchingSettings(top_k=top_k))
        context = Context(settings, store=self.store, embedder=HashEmbedder())
        self.ctx = stack.enter_context(context)

    def matches(self) -> list[dict[str, Any]]:
        found = match_records.load_matches(self.ctx.records)
        return sorted((m.model_dump(mode="json") for m in found), key=_pair)

    def suggestions(self) -> dict[str, dict[str, Any]]:
        stored = match_records.load_suggestions(self.ctx.records)
        return {uid: s.model_dump(mode="json") for uid, s in stored.items()}


def _pair(m: dict[str, Any]) -> tuple[str, str]:
    return m["actor_id"], m["notice_uid"]


class Twins:
    """The same week in an incrementally matched world and a fully matched one."""

    def __init__(self, stack: ExitStack, tmp_path: Path, top_k: int) -> None:
        self.incremental = World(stack, tmp_path / "incremental", top_k)
        self.full = World(stack, tmp_path / "full", top_k)

    def write(self, notices: list[Notice]) -> None:
        for world in (self.incremental, self.full):
            world.store.write(notices)

    def actors(self, actors: list[Actor]) -> None:
        for world in (self.incremental, self.full):
            actor_records.upsert_actors(world.ctx.records, actors)

    def reject(self, actor_id: str, uid: str) -> None:
        for world in (self.incremental, self.full):
            add_feedback(world.ctx, actor_id, uid, False, reason="hors sujet")

    def week(self, now: datetime) -> MatchRunReport:
        """Run both; the incremental world must hold what the full one holds."""
        report = match_stage(self.incremental.ctx, now)
        match_stage(self.full.ctx, now, full=True)
        assert self.incremental.matches() == self.full.matches()
        assert self.incremental.suggestions() == self.full.suggestions()
        return report


@pytest.fixture
def constant_rarity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Lexicon, "from_stem_sets", classmethod(lambda cls, sets: cls({})))


@pytest.fixture
def twins(
    tmp_path: Path, constant_rarity: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Twins]:
    """Two worlds; an incremental run never turns full (in worlds this small, one changed
    actor is a third of the pairs)."""
    monkeypatch.setattr(incremental, "FULL_SHARE", 1.0)
    with ExitStack() as stack:
        yield Twins(stack, tmp_path, top_k=2)


def held(world: World, actor_id: str) -> list[str]:
    return [m["notice_uid"] for m in world.matches() if m["actor_id"] == actor_id]


def test_expiry_closing_rejection_and_changes_keep_the_full_runs_matches(twins: Twins) -> None:
    twins.actors([GARDENS, CLEANING, FESTIVAL])
    twins.write(GARDEN_NOTICES + CLEANING_NOTICES)
    assert twins.week(NOW).mode == "full"
    gardens_first = held(twins.incremental, "jardins")
    assert len(gardens_first) == 2 and "boamp:g1" in gardens_first  # a full list of top_k

    expired = twins.week(NOW + timedelta(days=7))  # g1's deadline passed
    assert (expired.mode, expired.new_notices, expired.refilled) == ("incremental", 0, 1)
    gardens = held(twins.incremental, "jardins")
    assert "boamp:g1" not in gardens and len(gardens) == 2  # refilled from an older notice

    twins.reject("jardins", gardens[0])
    rejected = twins.week(NOW + timedelta(days=7))
    assert (rejected.changed_actors, rejected.refilled) == (1, 1)
    assert gardens[0] not in held(twins.incremental, "jardins")

    cleaning = held(twins.incremental, "proprete")
    twins.write(
        [CLEANING_NOTICES[0].model_copy(update={"status": NoticeStatus.CLOSED}).with_hash()]
    )
    closed = twins.week(NOW + timedelta(days=8))
    assert closed.refilled == (1 if "boamp:c1" in cleaning else 0)

    reworded = notice("c2", "Fourniture de mobilier de bureau", "39130000")
    twins.write([reworded, notice("c4", "Nettoyage de bureaux et vitres", "90919200")])
    changed = twins.week(NOW + timedelta(days=8))
    assert changed.new_notices == 2

    twins.actors([GARDENS.model_copy(update={"description": "Taille de haies et élagage"})])
    assert twins.week(NOW + timedelta(days=9)).changed_actors == 1


def test_a_closed_lot_scores_its_notice_again(twins: Twins) -> None:
    twins.actors([GARDENS, CLEANING, KITCHEN])
    twins.write([three_lots("m1", first_lot_days=3), *GARDEN_NOTICES[1:]])
    twins.week(NOW)
    later = twins.week(NOW + timedelta(days=5))  # the gardening lot closed, the notice is open
    assert later.new_notices == 1


def test_a_changed_actor_gets_suggestions_on_older_notices(twins: Twins) -> None:
    twins.actors([GARDENS, CLEANING, FESTIVAL])
    twins.write([three_lots("m1"), *GARDEN_NOTICES[1:], *CLEANING_NOTICES])
    twins.week(NOW)
    before = twins.incremental.suggestions().get("boamp:m1")
    assert before is None or "cuisine" not in before["members"]
    twins.actors([KITCHEN])  # now a caterer: it answers the meals lot of m1
    report = twins.week(NOW + timedelta(days=1))
    assert (report.new_notices, report.changed_actors) == (0, 1)
    team = twins.incremental.suggestions()["boamp:m1"]
    assert "cuisine" in team["members"] and report.suggestions >= 1


def test_an_actor_moved_to_a_territory_leaves_the_teams_of_others(twins: Twins) -> None:
    """Teams are formed within a territory: moving the caterer into one (the others in none)
    takes it out of the team on the three-lot tender, as a full run would."""
    twins.actors([GARDENS, CLEANING, KITCHEN])
    twins.write([three_lots("m1"), *GARDEN_NOTICES[1:], *CLEANING_NOTICES])
    twins.week(NOW)
    assert "cuisine" in twins.incremental.suggestions()["boamp:m1"]["members"]
    for world in (twins.incremental, twins.full):
        ensure_territory(world.ctx, DEMO_TERRITORIES[0])
        territory_records.set_actor_territory(world.ctx.records, "cuisine", "valenciennes")
    report = twins.week(NOW + timedelta(days=1))
    assert report.changed_actors == 1
    team = twins.incremental.suggestions().get("boamp:m1")
    assert team is None or "cuisine" not in team["members"]


def test_a_refilled_actor_gets_suggestions_too(twins: Twins) -> None:
    """The gardeners lose their best notice; refilled, they reach the three-lot tender, whose
    team then takes them in (a full run's suggestion)."""
    twins.actors([GARDENS, CLEANING, KITCHEN])
    twins.write([three_lots("m1"), *GARDEN_NOTICES])
    twins.week(NOW)
    assert "boamp:m1" not in held(twins.incremental, "jardins")
    expired = twins.week(NOW + timedelta(days=7))
    assert expired.refilled == 1
    assert "boamp:m1" in held(twins.incremental, "jardins")
    assert "jardins" in twins.incremental.suggestions()["boamp:m1"]["members"]


def test_a_run_that_would_score_most_pairs_is_full(tmp_path: Path, constant_rarity: None) -> None:
    """Both cleaning actors lose c1 (closed): refilled, they are every actor against every
    open notice, more than `FULL_SHARE` of a full run's pairs, so the run is full."""
    other = CLEANING.model_copy(update={"id": "vitres", "name": "Vitres"})
    with ExitStack() as stack:
        world = World(stack, tmp_path / "w", top_k=1)
        actor_records.upsert_actors(world.ctx.records, [CLEANING, other])
        world.store.write(GARDEN_NOTICES[1:] + CLEANING_NOTICES)
        match_stage(world.ctx, NOW)
        assert set(held(world, "proprete") + held(world, "vitres")) == {"boamp:c1"}
        closed = CLEANING_NOTICES[0].model_copy(update={"status": NoticeStatus.CLOSED})
        world.store.write([closed.with_hash()])
        report = match_stage(world.ctx, NOW)
        assert (report.mode, report.refilled) == ("full", 0)
        assert held(world, "proprete") and "boamp:c1" not in held(world, "proprete")


def test_a_second_run_while_one_holds_the_lock_scores_nothing(tmp_path: Path) -> None:
    with ExitStack() as stack:
        world = World(stack, tmp_path / "w", top_k=2)
        actor_records.upsert_actors(world.ctx.records, [GARDENS])
        world.store.write(GARDEN_NOTICES)
        with run_lock(world.ctx, LOCK):
            skipped = match_stage(world.ctx, NOW)
        assert (skipped.mode, skipped.matches) == ("skipped", 0)
        assert world.matches() == []
        assert match_stage(world.ctx, NOW).mode == "full"
        assert world.matches() != []
