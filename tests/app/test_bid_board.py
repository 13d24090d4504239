"""The grouped-bid board (columns by stage, « équipes possibles ») and the interests actors
express (app.bid_board), over the constructed world of tests/bids_world.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bids_world import user, world
from veilleuse.app.bid_board import board, express_interest, interested_actors, possible_teams
from veilleuse.app.bid_edits import create_from_interests, move_bid
from veilleuse.app.context import Context
from veilleuse.core.accounts import Role
from veilleuse.core.bids import BidStage
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.records import interests as interest_records

S = BidStage


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with world(tmp_path) as context:
        yield context


def test_an_actor_says_it_is_interested_once(ctx: Context) -> None:
    account = user(ctx, Role.ACTOR)
    first = express_interest(ctx, account, "boamp:1")
    assert (first.actor_id, first.notice_uid, first.created) == ("regie", "boamp:1", True)
    assert not express_interest(ctx, account, "boamp:1", "regie").created
    with pytest.raises(NotFoundError):
        express_interest(ctx, account, "boamp:1", "esat")
    with pytest.raises(NotFoundError, match="avis inconnu"):
        express_interest(ctx, account, "boamp:404")
    (stored,) = interest_records.interests_of_notices(ctx.records, ["boamp:1"])
    assert stored.by_user_id == account.id


def test_staff_record_an_interest_for_an_actor_of_their_territory(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    assert express_interest(ctx, staff, "boamp:1", "esat").created
    with pytest.raises(NotFoundError, match="lille"):
        express_interest(ctx, staff, "boamp:1", "lille")
    with pytest.raises(NotFoundError):
        express_interest(ctx, staff, "boamp:1")
    with pytest.raises(PermissionDeniedError):
        express_interest(ctx, user(ctx, Role.COMMITTEE), "boamp:1", "esat")


def test_the_actors_interested_in_a_notice_and_its_duplicates(ctx: Context) -> None:
    interest_records.add_interest(ctx.records, "esat", "ted:1-2026")
    interest_records.add_interest(ctx.records, "lille", "boamp:1")
    interest_records.add_interest(ctx.records, "regie", "boamp:1")
    committee = user(ctx, Role.COMMITTEE)
    found = interested_actors(ctx, "boamp:1", committee)
    assert [(i.actor.id, i.lots) for i in found] == [("esat", ["LOT-2"]), ("regie", ["LOT-1"])]
    assert [i.actor.id for i in interested_actors(ctx, "boamp:1", user(ctx, Role.ADMIN, None))] == [
        "esat",
        "lille",
        "regie",
    ]


def test_possible_teams_cover_more_lots_together(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    assert possible_teams(ctx, staff) == []
    interest_records.add_interest(ctx.records, "regie", "boamp:1")
    interest_records.add_interest(ctx.records, "ressourcerie", "boamp:1")  # no lot of its own
    assert possible_teams(ctx, staff) == []  # regie alone covers as much
    interest_records.add_interest(ctx.records, "esat", "boamp:1")
    interest_records.add_interest(ctx.records, "lille", "boamp:1")  # another territory
    (team,) = possible_teams(ctx, staff)
    assert (team.notice_uid, team.lots_covered, team.lots_total, team.best_single) == (
        "boamp:1",
        2,
        2,
        1,
    )
    assert [(m.actor_id, m.lots) for m in team.members] == [
        ("esat", ["LOT-2"]),
        ("regie", ["LOT-1"]),
        ("ressourcerie", []),
    ]
    assert team.coverage_text == "Ensemble : 2 lots sur 2 (une seule structure : 1 au plus)"
    # lille covers both lots alone: for the MEL, no team is needed
    assert possible_teams(ctx, user(ctx, Role.STAFF, "mel")) == []
    # once a bid tracks the notice, the team is no longer « possible »
    create_from_interests(ctx, staff, "boamp:1", ["regie", "esat"])
    assert possible_teams(ctx, staff) == []


def test_the_board_has_a_column_per_stage(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    bid = create_from_interests(ctx, staff, "boamp:1", ["regie", "esat"])
    other = create_from_interests(ctx, staff, "aap:1", ["regie", "ressourcerie"])
    assert other.id is not None
    move_bid(ctx, staff, other.id, "abandoned", reason="capacity")
    shown = board(ctx, user(ctx, Role.COMMITTEE))
    assert [c.stage for c in shown.columns] == list(S)
    assert [c.stage for c in shown.open_columns] == [
        S.SPOTTED,
        S.INTEREST,
        S.TEAM_FORMED,
        S.SUBMITTED,
    ]
    lines = {c.stage: [line.bid.id for line in c.lines] for c in shown.columns}
    assert lines[S.INTEREST] == [bid.id] and lines[S.ABANDONED] == [other.id]
    assert all(line.next_stages == () for c in shown.columns for line in c.lines)
    assert shown.teams == []
    with pytest.raises(PermissionDeniedError):
        board(ctx, user(ctx, Role.ACTOR))
    assert all(not c.lines for c in board(ctx, user(ctx, Role.STAFF, "mel")).columns)


def test_an_interest_in_a_closed_notice_is_refused(ctx: Context) -> None:
    from datetime import timedelta

    from bids_world import NOW, notice

    ctx.store.write([notice("boamp:old", "Clos", deadline=(NOW - timedelta(days=2)).date())])
    with pytest.raises(ValidationError, match="clos"):
        express_interest(ctx, user(ctx, Role.ACTOR), "boamp:old")
