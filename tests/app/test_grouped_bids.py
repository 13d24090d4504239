"""The grouped-bid register's use cases (app.grouped_bids, app.bid_edits, app.bid_partners) over
a real records database and the embedded store; the world is constructed (tests/bids_world.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bids_world import user, world
from veilleuse.app.bid_edits import (
    create_bid,
    create_from_interests,
    create_from_suggestion,
    move_bid,
    update_bid,
)
from veilleuse.app.bid_partners import partner_suggestions
from veilleuse.app.context import Context
from veilleuse.app.grouped_bids import bid_lines, count_bids, get_bid, list_bids
from veilleuse.core.accounts import Role
from veilleuse.core.bids import (
    BidFilters,
    BidKind,
    BidMember,
    BidStage,
    BidUpdate,
    LossReason,
    MemberRole,
)
from veilleuse.core.errors import (
    NotFoundError,
    PermissionDeniedError,
    TransitionError,
    ValidationError,
)
from veilleuse.core.models import Money
from veilleuse.records import interests as interest_records

S = BidStage


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with world(tmp_path) as context:
        yield context


def team(*ids: str) -> list[BidMember]:
    lead, *others = ids
    return [
        BidMember(actor_id=lead, role=MemberRole.LEAD, lots=["LOT-1"]),
        *(BidMember(actor_id=a, lots=["LOT-2"]) for a in others),
    ]


def test_a_suggestion_becomes_a_bid_in_one_click(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    bid = create_from_suggestion(ctx, staff, "boamp:1")
    assert (bid.stage, bid.kind, bid.from_suggestion, bid.territory_id) == (
        S.SPOTTED,
        BidKind.TENDER,
        True,
        "valenciennes",
    )
    assert [(m.actor_id, m.role, m.lots) for m in bid.members] == [
        ("regie", MemberRole.LEAD, ["LOT-1"]),
        ("esat", MemberRole.COTRAITANT, ["LOT-2"]),
    ]
    assert bid.title == "Entretien des espaces verts"
    assert (bid.contact_name, bid.contact_email) == (
        "Contact Régie de quartier",
        "regie@example.org",
    )
    assert bid.history[0].by == staff.display_name
    with pytest.raises(
        ValidationError, match=f"déjà été créé depuis cette suggestion \\(n° {bid.id}\\)"
    ):
        create_from_suggestion(ctx, staff, "boamp:1")
    with pytest.raises(NotFoundError, match="aucune équipe suggérée"):
        create_from_suggestion(ctx, staff, "boamp:2")


def test_a_suggestion_starts_at_interest_when_a_member_said_so(ctx: Context) -> None:
    # the interest was expressed on the TED copy of the same tender
    interest_records.add_interest(ctx.records, "esat", "ted:1-2026")
    bid = create_from_suggestion(ctx, user(ctx, Role.OFFICER), "boamp:1")
    assert bid.stage is S.INTEREST


def test_a_bid_by_hand_for_a_funding_call(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    members = [
        BidMember(actor_id="regie", role=MemberRole.LEAD),
        BidMember(actor_id="ressourcerie"),
    ]
    bid = create_bid(
        ctx,
        staff,
        "aap:1",
        members,
        stage="team_formed",
        form="conjoint",
        documents=["https://example.org/dossier.pdf"],
        notes="  Réunion le 12  ",
    )
    assert (bid.kind, bid.stage, bid.notes, bid.form) == (
        BidKind.FUNDING,
        S.TEAM_FORMED,
        "Réunion le 12",
        "conjoint",
    )
    partners = partner_suggestions(ctx, staff, "aap:1", "regie")
    assert {p.actor_id for p in partners} == {"esat", "ressourcerie"}
    assert all(p.why for p in partners)
    assert [p.actor_id for p in partner_suggestions(ctx, staff, "boamp:1", "regie")] == ["esat"]
    with pytest.raises(ValidationError, match="étape inconnue : 'gagne'"):
        create_bid(ctx, staff, "aap:1", members, stage="gagne")
    with pytest.raises(ValidationError, match="créée à l'étape « gagnée »"):
        create_bid(ctx, staff, "aap:1", members, stage="won")
    with pytest.raises(ValidationError, match="lien http"):
        create_bid(ctx, staff, "aap:1", members, documents=["javascript:alert(1)"])
    with pytest.raises(ValidationError, match="structure présente deux fois"):
        create_bid(ctx, staff, "aap:1", [*members, BidMember(actor_id="regie")])


def test_members_and_territories_are_checked_before_anything_is_written(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    with pytest.raises(NotFoundError, match="lille"):
        create_bid(ctx, staff, "boamp:1", team("regie", "lille"))
    with pytest.raises(NotFoundError, match="nobody"):
        create_bid(ctx, staff, "boamp:1", team("regie", "nobody"))
    with pytest.raises(NotFoundError, match="avis inconnu"):
        create_bid(ctx, staff, "boamp:404", team("regie"))
    with pytest.raises(NotFoundError, match="territoire inconnu"):
        create_bid(ctx, staff, "boamp:1", team("regie"), territory_id="mel")
    with pytest.raises(PermissionDeniedError):
        create_bid(ctx, user(ctx, Role.COMMITTEE), "boamp:1", team("regie"))
    with pytest.raises(PermissionDeniedError):
        create_bid(ctx, user(ctx, Role.ACTOR), "boamp:1", team("regie"))
    admin = user(ctx, Role.ADMIN, None)
    assert list_bids(ctx, admin) == []
    # an admin's bid goes to its lead's territory
    cross = create_bid(ctx, admin, "boamp:1", team("lille", "regie"))
    assert cross.territory_id == "mel"


def test_moves_with_their_requirements_and_a_stale_page(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    created = create_from_suggestion(ctx, staff, "boamp:1")
    assert created.id is not None
    bid_id = created.id
    for stage in ("interest", "team_formed", "submitted"):
        move_bid(ctx, staff, bid_id, stage)
    with pytest.raises(ValidationError, match="montant gagné"):
        move_bid(ctx, staff, bid_id, "won")
    with pytest.raises(TransitionError, match="vient de passer à « candidature déposée »"):
        move_bid(ctx, staff, bid_id, "won", amount_won=1, expected_stage="team_formed")
    with pytest.raises(ValidationError, match="raison inconnue"):
        move_bid(ctx, staff, bid_id, "lost", reason="cher")
    won = move_bid(
        ctx,
        staff,
        bid_id,
        S.WON,
        note="Notifié le 3",
        amount_won=84_000,
        shares={"regie": 55, "esat": 45},
        expected_stage="submitted",
    )
    assert won.amount_won == Money(amount=84_000)
    assert [m.share_percent for m in won.members] == [55, 45]
    with pytest.raises(TransitionError, match="étape finale"):
        move_bid(ctx, staff, bid_id, "abandoned", reason=LossReason.OTHER, detail="x")
    with pytest.raises(PermissionDeniedError):
        move_bid(ctx, user(ctx, Role.COMMITTEE), bid_id, "abandoned")
    with pytest.raises(NotFoundError):
        move_bid(ctx, user(ctx, Role.STAFF, "mel"), bid_id, "abandoned")


def test_reading_a_bid_its_lines_and_lists_by_territory(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    bid = create_from_suggestion(ctx, staff, "boamp:1")
    assert bid.id is not None
    committee = user(ctx, Role.COMMITTEE)
    view = get_bid(ctx, committee, bid.id)
    assert view.notice_title == "Entretien des espaces verts"
    assert view.buyer == "Ville de Valenciennes"
    assert view.names == {"regie": "Régie de quartier", "esat": "ESAT du Hainaut"}
    assert view.lot_titles == {"LOT-1": "LOT-1 « Tonte »", "LOT-2": "LOT-2 « Élagage »"}
    assert (view.editable, view.next_stages) == (False, ())
    assert get_bid(ctx, staff, bid.id).next_stages == (S.INTEREST, S.ABANDONED)
    with pytest.raises(NotFoundError):
        get_bid(ctx, user(ctx, Role.COMMITTEE, "mel"), bid.id)
    with pytest.raises(PermissionDeniedError):
        get_bid(ctx, user(ctx, Role.ACTOR), bid.id)

    admin = user(ctx, Role.ADMIN, None)
    create_bid(ctx, admin, "boamp:2", team("lille"))
    assert [b.notice_uid for b in list_bids(ctx, staff)] == ["boamp:1"]
    assert [b.notice_uid for b in list_bids(ctx, admin)] == ["boamp:1", "boamp:2"]
    assert list_bids(ctx, staff, BidFilters(territories=["mel"])) == []
    assert count_bids(ctx, admin, BidFilters(actor_ids=["lille"])) == 1
    (line,) = bid_lines(ctx, staff, list_bids(ctx, staff))
    assert (line.notice_title, line.names["regie"], line.next_stages) == (
        "Entretien des espaces verts",
        "Régie de quartier",
        (S.INTEREST, S.ABANDONED),
    )
    assert line.deadline is not None


def test_details_and_team_changes(ctx: Context) -> None:
    staff = user(ctx, Role.STAFF)
    bid = create_from_suggestion(ctx, staff, "boamp:1")
    assert bid.id is not None
    changed = update_bid(
        ctx,
        staff,
        bid.id,
        BidUpdate(
            members=[*team("esat", "regie"), BidMember(actor_id="ressourcerie")],
            notes="Visite le 4",
        ),
    )
    assert changed.member_ids() == ["esat", "regie", "ressourcerie"]
    assert changed.notes == "Visite le 4" and changed.title == bid.title
    with pytest.raises(NotFoundError, match="lille"):
        update_bid(ctx, staff, bid.id, BidUpdate(members=team("esat", "lille")))
    with pytest.raises(ValidationError, match="titre"):
        update_bid(ctx, staff, bid.id, BidUpdate(title=" "))


def test_a_bid_from_the_actors_that_said_they_were_interested(ctx: Context) -> None:
    bid = create_from_interests(ctx, user(ctx, Role.STAFF), "boamp:1", ["regie", "esat", " "])
    assert bid.stage is S.INTEREST and bid.lead() is None
    assert [(m.actor_id, m.lots) for m in bid.members] == [
        ("regie", ["LOT-1"]),
        ("esat", ["LOT-2"]),
    ]
