"""The committee's statistics over a world known by construction (tests/statistics_world.py):
every figure asserted exactly, per territory and per period."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from statistics_world import HERE, THERE, build_world
from veilleuse.app.context import Context
from veilleuse.app.statistics import committee_figure, committee_statistics
from veilleuse.app.statistics_model import CommitteeStatistics, StatTable
from veilleuse.app.statistics_period import Period
from veilleuse.config.settings import Settings
from veilleuse.core.accounts import Role, User
from veilleuse.core.errors import NotFoundError, PermissionDeniedError
from veilleuse.search.embedded_store import EmbeddedStore

ADMIN = User(id=1, email="admin@test", role=Role.ADMIN)
COMMITTEE = User(id=2, email="comite@test", role=Role.COMMITTEE, territory_id=HERE)
ACTOR = User(id=3, email="a@test", role=Role.ACTOR, territory_id=HERE, actor_id="esat-1")
Y2025, S1, S2 = Period.year(2025), Period.semester(2025, 1), Period.semester(2025, 2)


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    store = EmbeddedStore(tmp_path / "notices.sqlite3")
    with Context(Settings(data_dir=tmp_path), store=store) as context:
        build_world(context)
        yield context
    store.close()


def rows(table: StatTable) -> dict[str, list[float | int | None]]:
    return {row.key: row.values for row in table.rows}


def stats(ctx: Context, period: Period = Y2025, territory: str = HERE) -> CommitteeStatistics:
    return committee_statistics(ctx, ADMIN, territory, period)


# --------------------------------------------------------------------------- notices


def test_notices_by_source_and_kind_first_collected_in_the_period(ctx: Context) -> None:
    table = stats(ctx).table("notices")
    # columns: tenders, funding calls, PIN, awards, other, national total, of which in the 59
    assert rows(table) == {
        "boamp": [5, 0, 0, 1, 0, 6, 5],
        "ted": [1, 0, 0, 0, 0, 1, 1],
        "aides_territoires": [0, 1, 0, 0, 0, 1, 0],
    }
    assert table.total == [6, 1, 0, 1, 0, 8, 6]
    assert "national" in table.scope and "dép. 59" in table.scope
    assert [r.label for r in table.rows] == ["BOAMP", "Aides-territoires", "TED"]  # ties by id


def test_semesters_split_on_paris_midnight(ctx: Context) -> None:
    # boamp:6 (31 Dec 23:30 UTC) is in S1 2025; boamp:5 (30 Jun 22:30 UTC) in S2
    first = stats(ctx, S1).table("notices")
    second = stats(ctx, S2).table("notices")
    assert rows(first)["boamp"] == [3, 0, 0, 0, 0, 3, 3]  # boamp 1, 2, 6
    assert rows(second)["boamp"] == [2, 0, 0, 1, 0, 3, 2]  # boamp 3, 4, 5
    assert first.total[5] + second.total[5] == 8


def test_reserved_and_social_clauses_share_of_tenders(ctx: Context) -> None:
    table = stats(ctx).table("social")
    assert rows(table) == {
        "tenders": [5, None, 6, None],
        "reserved": [2, 40.0, 3, 50.0],
        "social_clause": [2, 40.0, 2, 33.3],
        "social_consideration": [3, 60.0, 4, 66.7],
    }
    # the other territory's département: boamp 3 only (reserved)
    other = rows(stats(ctx, territory=THERE).table("social"))
    assert other["tenders"][:2] == [1, None] and other["reserved"][:2] == [1, 100.0]


# --------------------------------------------------------------------------- deliveries


def test_delivered_by_family_and_actors_reached(ctx: Context) -> None:
    table = stats(ctx).table("delivery_family")
    # items, actors reached, actors in the base, share reached
    assert rows(table) == {
        "esat": [4, 1, 2, 50.0],
        "scop": [2, 1, 1, 100.0],
        "association": [0, 0, 1, 0.0],
    }
    assert table.total == [6, 2, 4, 50.0]
    other = stats(ctx, territory=THERE).table("delivery_family")
    assert other.total == [1, 1, 2, 50.0]


def test_delivered_by_cpv_division(ctx: Context) -> None:
    table = stats(ctx).table("delivery_cpv")
    assert rows(table) == {
        "77": [2, 2],  # boamp 1 and 4
        "45": [1, 1],  # boamp 4 (two divisions: counted in both)
        "55": [1, 1],  # ted 1, through its lot
        "90": [1, 1],  # boamp 2
        "sans-cpv": [1, 1],  # the funding call
        "hors-index": [1, 1],  # gone:1 is no longer stored
    }
    assert table.total == [6, 6]
    labels = {r.key: r.label for r in table.rows}
    assert labels["77"].startswith("77 — ") and "agricoles" in labels["77"].lower()


def test_deliveries_per_semester(ctx: Context) -> None:
    assert stats(ctx, S1).table("delivery_family").total == [2, 1, 4, 25.0]
    assert stats(ctx, S2).table("delivery_family").total == [4, 2, 4, 50.0]
    assert stats(ctx, Period.year(2024)).table("delivery_family").total == [1, 1, 4, 25.0]


def test_indicators_read_their_table_cells(ctx: Context) -> None:
    result = stats(ctx)
    values = {i.metric: i.value for i in result.indicators}
    assert values["notices_collected"] == 8
    assert values["opportunities_delivered"] == 6
    assert values["actors_reached"] == 2
    assert values["actors_reached_share"] == 50.0
    assert values["reserved_share"] == 40.0
    assert values["social_consideration_share"] == 60.0


# --------------------------------------------------------------------------- access


def test_committee_reads_its_territory_only(ctx: Context) -> None:
    assert committee_statistics(ctx, COMMITTEE, HERE, Y2025).territory.id == HERE
    with pytest.raises(NotFoundError):
        committee_statistics(ctx, COMMITTEE, THERE, Y2025)
    with pytest.raises(NotFoundError):
        committee_statistics(ctx, ADMIN, "inconnu", Y2025)
    with pytest.raises(PermissionDeniedError):
        committee_statistics(ctx, ACTOR, HERE, Y2025)


def test_one_figure_equals_the_same_table_of_the_whole(ctx: Context) -> None:
    whole = stats(ctx)
    for table in whole.tables:
        assert committee_figure(ctx, ADMIN, HERE, Y2025, table.key) == table
    with pytest.raises(NotFoundError):
        committee_figure(ctx, ADMIN, HERE, Y2025, "nope")


def test_period_of_the_result(ctx: Context) -> None:
    result = stats(ctx, Period.between(date(2025, 2, 1), date(2025, 4, 30)))
    assert result.period.label == "du 1er février 2025 au 30 avril 2025"
    assert result.table("notices").total[5] == 2  # boamp 1 and 2


# --------------------------------------------------------------------------- grouped bids


def test_bids_entering_each_stage_in_the_period(ctx: Context) -> None:
    table = stats(ctx).table("bids_stage")
    # tenders, funding calls, total; B5's creation (2024) and B7 (1 January 2026) left out
    assert rows(table) == {
        "spotted": [2, 0, 2],  # B1, B4
        "interest": [2, 0, 2],  # B1, B2 (created there)
        "team_formed": [3, 1, 4],  # B1, B2, B6; B3
        "submitted": [2, 2, 4],  # B1, B2; B3, B10
        "won": [1, 1, 2],  # B1; B3
        "lost": [1, 0, 1],  # B2 (B10 is lost in 2026)
        "unsuccessful": [1, 0, 1],  # B5, created in 2024
        "abandoned": [2, 0, 2],  # B4, B6
    }
    assert rows(stats(ctx, Period.year(2024)).table("bids_stage"))["won"] == [1, 0, 1]  # B9


def test_funnel_of_the_bids_opened_in_the_period(ctx: Context) -> None:
    table = stats(ctx).table("bids_funnel")
    # opened in 2025: B1, B2, B3, B4, B6, B10; only B1 came from a suggestion
    assert rows(table) == {
        "spotted": [6, 100.0, 1],
        "interest": [5, 83.3, 1],  # all but B4, abandoned when spotted
        "team_formed": [5, 83.3, 1],  # B6 was abandoned once its team was formed
        "submitted": [4, 66.7, 1],  # B1, B2, B3 and B10 (created at « déposée »)
        "won": [2, 33.3, 1],  # B1, B3
    }


def test_outcomes_and_win_rate(ctx: Context) -> None:
    table = stats(ctx).table("bids_outcomes")
    # won, lost, unsuccessful, win rate
    assert rows(table) == {"tender": [1, 1, 1, 33.3], "funding": [1, 0, 0, 100.0]}
    assert table.total == [2, 1, 1, 50.0]
    assert stats(ctx, S1).table("bids_outcomes").total == [1, 0, 1, 50.0]  # B1; B5
    assert stats(ctx, S2).table("bids_outcomes").total == [1, 1, 0, 50.0]  # B3; B2
    other = stats(ctx, territory=THERE).table("bids_outcomes")
    assert other.total == [1, 0, 0, 100.0]  # B8 only


def test_amounts_won_by_family_of_the_lead_and_by_shares(ctx: Context) -> None:
    table = stats(ctx).table("won_family")
    # lead's family, of which tenders, of which funding, bids won, split by members' shares
    assert rows(table) == {
        "esat": [120_000.0, 100_000.0, 20_000.0, 2, 70_000.0],  # B1 60 %, B3 50 %
        "scop": [0.0, 0.0, 0.0, 0, 40_000.0],  # B1 40 %
        "association": [0.0, 0.0, 0.0, 0, 10_000.0],  # B3 50 %
    }
    assert table.total == [120_000.0, 100_000.0, 20_000.0, 2, 120_000.0]
    assert stats(ctx, S2).table("won_family").total[0] == 20_000.0
    assert stats(ctx, territory=THERE).table("won_family").total[0] == 50_000.0


def test_amounts_won_by_department_of_the_lead(ctx: Context) -> None:
    table = stats(ctx).table("won_department")
    assert [(r.key, r.label, r.values) for r in table.rows] == [("59", "59 — Nord", [120_000.0, 2])]
    assert "EPCI" in table.scope
    other = stats(ctx, territory=THERE).table("won_department")
    assert rows(other) == {"62": [50_000.0, 1]}


def test_interests_by_family(ctx: Context) -> None:
    table = stats(ctx).table("interests")
    # interests, actors, distinct notices
    assert rows(table) == {"esat": [3, 2, 3], "association": [1, 1, 1], "scop": [1, 1, 1]}
    assert table.total == [5, 4, 4]
    assert stats(ctx, territory=THERE).table("interests").total == [1, 1, 1]
    assert stats(ctx, Period.year(2026)).table("interests").total == [1, 1, 1]


def test_indicators_of_the_register(ctx: Context) -> None:
    values = {i.metric: i.value for i in stats(ctx).indicators}
    assert values["interests"] == 5
    assert values["bids_formed"] == 4
    assert values["bids_submitted"] == 4
    assert values["bids_won"] == 2
    assert values["win_rate"] == 50.0
    assert values["amount_won"] == 120_000.0
    assert values["funding_submitted"] == 2
    assert values["funding_won"] == 1


def test_a_territory_with_nothing_yet(ctx: Context) -> None:
    from veilleuse.core.accounts import PlanTerritory
    from veilleuse.records import territories as territory_records

    territory_records.upsert_territory(ctx.records, PlanTerritory(id="vide", name="Vide"))
    result = stats(ctx, territory="vide")
    notices = result.table("notices")
    assert notices.total is not None and notices.total[5] == 8 and notices.total[6] is None
    assert "aucun département" in notices.scope
    assert rows(result.table("social"))["reserved"] == [None, None, 3, 50.0]
    assert result.table("delivery_family").total == [0, 0, 0, None]
    assert result.table("bids_outcomes").total == [0, 0, 0, None]
    assert result.table("won_family").rows == [] and result.table("interests").total == [0, 0, 0]
    values = {i.metric: i.value for i in result.indicators}
    assert values["win_rate"] is None and values["actors_reached_share"] is None
