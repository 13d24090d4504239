"""Enough interest: once a grouped bid of a territory formed its team, its notice is offered to
no more actors of that territory, and those who still see it (a push, a reminder) read « un
groupement est en cours — contact : … ». Real records, embedded store, recording mailer;
actors, notices, matches and bids are constructed (tests/mail_world.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mail_world import NOW, RecordingMailer, actor, interest, make_ctx, notice, seed
from veilleuse.app.context import Context
from veilleuse.app.digest import digest_stage
from veilleuse.app.reminders import due_reminders
from veilleuse.app.team_formed import formed_bids
from veilleuse.core.bids import BidMember, BidStage, GroupedBid, LossReason, MemberRole
from veilleuse.core.grouped_bids import StageChange
from veilleuse.core.models import GroupedBidSuggestion, LotAssignment, Match, Reason
from veilleuse.digests.bids_in_progress import bid_contact, in_progress_note
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import matches as match_records
from veilleuse.records import pushes as push_records
from veilleuse.records import territories as territory_records


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[Context]:
    with make_ctx(tmp_path) as context:
        seed(
            context,
            [
                actor("regie", "Régie de quartier"),
                actor("esat", "ESAT du Hainaut"),
                actor("scop", "SCOP Bâtir"),
            ],
            [notice("boamp:1", "Nettoyage des écoles", days=3), notice("boamp:2", "Vitrerie")],
        )
        seed(context, [actor("lille", "Coopérative lilloise")], territory="mel")
        match_records.save_matches(
            context.records,
            [
                Match(
                    actor_id=a, notice_uid=uid, score=70, reasons=[Reason(code="r", text="Proche")]
                )
                for a in ("regie", "esat", "scop", "lille")
                for uid in ("boamp:1", "boamp:2")
            ],
        )
        yield context


def bid(ctx: Context, stage: BidStage, territory: str = "valenciennes", **details: object) -> int:
    created = bid_records.create_grouped_bid(
        ctx.records,
        GroupedBid(
            notice_uid="boamp:1",
            territory_id=territory,
            stage=BidStage.INTEREST,
            members=[
                BidMember(actor_id="regie", role=MemberRole.LEAD),
                BidMember(actor_id="esat"),
            ],
            **details,  # type: ignore[arg-type]
        ),
        at=NOW - timedelta(days=3),
    )
    assert created.id is not None
    path = {
        BidStage.INTEREST: [],
        BidStage.TEAM_FORMED: [BidStage.TEAM_FORMED],
        BidStage.SUBMITTED: [BidStage.TEAM_FORMED, BidStage.SUBMITTED],
        BidStage.ABANDONED: [BidStage.ABANDONED],
    }[stage]
    for step in path:
        reason = LossReason.CAPACITY if step is BidStage.ABANDONED else None
        bid_records.move_grouped_bid(ctx.records, created.id, [StageChange(step, reason=reason)])
    return created.id


def lines_of(ctx: Context, address: str) -> str:
    mailer = ctx.mailer
    assert isinstance(mailer, RecordingMailer)
    return "\n".join(mailer.text(m) for m in mailer.to(address))


def test_the_wording() -> None:
    assert bid_contact("Marie Dupont", "marie@regie.example", "Régie") == (
        "Marie Dupont (marie@regie.example)"
    )
    assert bid_contact(None, None, "Régie  Nord") == "Régie Nord (mandataire)"
    assert bid_contact(None, None, None) is None
    assert in_progress_note("X", member=False, stage_label="équipe formée") == (
        "Un groupement est en cours — contact : X"
    )
    assert in_progress_note("X", member=True, stage_label="équipe formée") == (
        "Votre groupement est en cours (équipe formée) — contact : X"
    )
    assert in_progress_note(None, member=False, stage_label="x") == "Un groupement est en cours"


@pytest.mark.parametrize(
    ("stage", "formed"),
    [
        (BidStage.INTEREST, False),
        (BidStage.TEAM_FORMED, True),
        (BidStage.SUBMITTED, True),
        (BidStage.ABANDONED, False),
    ],
)
def test_formed_from_team_formed_on_abandoned_excepted(
    ctx: Context, stage: BidStage, formed: bool
) -> None:
    bid(ctx, stage)
    bids = formed_bids(ctx)
    one = ctx.store.get("boamp:1")
    assert (bids.of("scop", one) is not None) is formed
    assert bids.of("lille", one) is None  # another territory
    assert bids.of("scop", ctx.store.get("boamp:2")) is None


def test_a_formed_team_stops_the_offer_in_its_territory(ctx: Context) -> None:
    bid(ctx, BidStage.TEAM_FORMED, contact_name="Marie Dupont", contact_email="marie@regie.example")
    report = digest_stage(ctx, [], NOW)
    assert sorted(report.sent) == [
        "esat:2026-12-01",
        "lille:2026-12-01",
        "regie:2026-12-01",
        "scop:2026-12-01",
    ]
    assert "Nettoyage des écoles" not in lines_of(ctx, "scop@example.org")
    assert "Vitrerie" in lines_of(ctx, "scop@example.org")
    assert "Nettoyage des écoles" in lines_of(ctx, "lille@example.org")  # the MEL's own network


def test_with_the_setting_off_the_notice_is_offered_with_the_bid_note(tmp_path: Path) -> None:
    with make_ctx(tmp_path, digest={"stop_when_team_formed": False}) as context:
        seed(context, [actor("regie"), actor("esat"), actor("scop")], [notice("boamp:1", "Tri")])
        suggestion = GroupedBidSuggestion(
            notice_uid="boamp:1",
            members=["scop", "esat"],
            lead="scop",
            assignments=[
                LotAssignment(lot_id="1", actor_id="scop", fit=0.8, why=Reason(code="a")),
            ],
            coverage=1.0,
            score=80,
        )
        match_records.save_suggestions(context.records, [suggestion])
        match_records.save_matches(
            context.records, [Match(actor_id="scop", notice_uid="boamp:1", score=70)]
        )
        bid(context, BidStage.TEAM_FORMED)
        digest_stage(context, [], NOW)
        text = lines_of(context, "scop@example.org")
    assert "Tri" in text
    assert "Un groupement est en cours — contact : Regie (mandataire)" in text
    assert "Groupement suggéré" not in text


def test_a_pushed_notice_says_a_bid_is_in_progress(ctx: Context) -> None:
    bid(ctx, BidStage.SUBMITTED)
    push_records.add_pushes(ctx.records, "boamp:1", ["scop"], None, "À voir", NOW)
    digest_stage(ctx, [], NOW)
    text = lines_of(ctx, "scop@example.org")
    assert "Nettoyage des écoles" in text  # the officer's push still goes
    assert "Un groupement est en cours — contact : Régie de quartier (mandataire)" in text


def test_reminders_say_a_bid_is_in_progress(ctx: Context) -> None:
    bid(ctx, BidStage.TEAM_FORMED, contact_name="Marie Dupont")
    interest(ctx, "regie", "boamp:1")
    interest(ctx, "scop", "boamp:1")
    interest(ctx, "lille", "boamp:1")
    due = due_reminders(ctx, NOW)
    assert due["regie"][0].bid_note == (
        "Votre groupement est en cours (équipe formée) — contact : Marie Dupont"
    )
    assert due["scop"][0].bid_note == "Un groupement est en cours — contact : Marie Dupont"
    assert due["lille"][0].bid_note is None


def test_duplicates_of_the_bids_notice_count(ctx: Context) -> None:
    territory_records.set_actor_territories(ctx.records, {"scop": "valenciennes"})
    ctx.store.write([notice("ted:7", "Cleaning", days=3, also_in=["boamp:1"])])
    bid(ctx, BidStage.TEAM_FORMED)
    assert formed_bids(ctx).hides("scop", ctx.store.get("ted:7"))
