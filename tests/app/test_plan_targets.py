"""Targets of the local ESS plan: set, list, delete, and the statistics' actual against target."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from statistics_world import HERE, THERE, build_world
from veilleuse.app.context import Context
from veilleuse.app.plan_targets import delete_target, list_targets, set_target
from veilleuse.app.statistics import committee_statistics
from veilleuse.app.statistics_period import Period
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import Role, User
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.search.embedded_store import EmbeddedStore

ADMIN = User(id=1, email="admin@test", role=Role.ADMIN)
COMMITTEE = User(id=2, email="comite@test", role=Role.COMMITTEE, territory_id=HERE)
OFFICER_THERE = User(id=3, email="veille@test", role=Role.OFFICER, territory_id=THERE)
Y2025 = Period.year(2025)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        build_world(context)
        set_target(context, ADMIN, HERE, Y2025, "bids_submitted", "10")
        set_target(context, ADMIN, HERE, Y2025, "social_consideration_share", "30 %")
        set_target(context, ADMIN, HERE, Y2025, "amount_won", "100 000 €")
        set_target(context, ADMIN, THERE, Y2025, "bids_won", 3)
        yield context
    store.close()


def indicators(ctx: Context, period: Period, territory: str = HERE) -> dict[str, tuple]:  # type: ignore[type-arg]
    result = committee_statistics(ctx, COMMITTEE if territory == HERE else ADMIN, territory, period)
    return {i.metric: (i.value, i.target, i.reached) for i in result.indicators}


def test_actual_against_yearly_targets(ctx: Context) -> None:
    found = indicators(ctx, Y2025)
    assert found["bids_submitted"] == (4, 10.0, 40.0)
    assert found["social_consideration_share"] == (60.0, 30.0, 200.0)
    assert found["amount_won"] == (120_000.0, 100_000.0, 120.0)
    assert found["bids_won"] == (2, None, None)  # the other territory's target is not ours
    assert indicators(ctx, Y2025, THERE)["bids_won"] == (1, 3.0, 33.3)


def test_semester_prorates_counts_and_keeps_rates(ctx: Context) -> None:
    first = indicators(ctx, Period.semester(2025, 1))
    # submitted in S1: B1, B2, B3; 10 a year over 181 of 365 days is 5.0
    assert first["bids_submitted"] == (3, 5.0, 60.0)
    # tenders of the 59 first collected in S1: boamp 1, 2, 6, all with a social consideration
    assert first["social_consideration_share"] == (100.0, 30.0, 333.3)
    result = committee_statistics(ctx, COMMITTEE, HERE, Period.semester(2025, 1))
    note = result.indicator("bids_submitted").target_note or ""
    assert "au prorata" in note and "181 jours sur 365" in note
    assert result.indicator("social_consideration_share").target_note == "objectif annuel 2025"


def test_target_of_an_exact_custom_range(ctx: Context) -> None:
    spring = Period.between(date(2025, 2, 1), date(2025, 4, 30))
    set_target(ctx, ADMIN, HERE, spring, "interests", "5")
    result = committee_statistics(ctx, COMMITTEE, HERE, spring)
    interests = result.indicator("interests")
    assert (interests.value, interests.target, interests.reached) == (3, 5.0, 60.0)
    assert (
        interests.target_note
        == "objectif fixé pour la période (du 1er février 2025 au 30 avril 2025)"
    )


def test_set_replaces_and_who_may_write(ctx: Context) -> None:
    target, created = set_target(ctx, ADMIN, HERE, Y2025, "bids_submitted", "12")
    assert not created and target.value == 12.0
    assert indicators(ctx, Y2025)["bids_submitted"] == (4, 12.0, 33.3)
    with pytest.raises(PermissionDeniedError):
        set_target(ctx, COMMITTEE, HERE, Y2025, "bids_submitted", "1")
    with pytest.raises(PermissionDeniedError):
        delete_target(ctx, COMMITTEE, target.id)
    with pytest.raises(NotFoundError):
        set_target(ctx, ADMIN, "inconnu", Y2025, "bids_submitted", "1")


@pytest.mark.parametrize(
    ("metric", "value"),
    [
        ("nope", "1"),
        ("bids_won", "abc"),
        ("bids_won", "-1"),
        ("win_rate", "150"),
        ("bids_won", "nan"),
    ],
)
def test_bad_targets_are_refused(ctx: Context, metric: str, value: str) -> None:
    with pytest.raises(ValidationError):
        set_target(ctx, ADMIN, HERE, Y2025, metric, value)


def test_list_is_narrowed_to_the_users_territories_and_delete(ctx: Context) -> None:
    mine = list_targets(ctx, COMMITTEE)
    assert {t.territory_id for t in mine} == {HERE} and len(mine) == 3
    assert [t.metric for t in list_targets(ctx, OFFICER_THERE)] == ["bids_won"]
    assert list_targets(ctx, COMMITTEE, THERE) == []
    assert len(list_targets(ctx, ADMIN)) == 4
    amount = next(t for t in mine if t.metric == "amount_won")
    assert amount.period == Y2025 and amount.metric_label == "Montant gagné en groupement"
    assert delete_target(ctx, ADMIN, amount.id).metric == "amount_won"
    assert indicators(ctx, Y2025)["amount_won"][1] is None
    with pytest.raises(NotFoundError):
        delete_target(ctx, ADMIN, amount.id)
