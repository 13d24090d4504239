"""Data of the grouped-bid pages' and API's tests (`from bid_data import …`).

Written into the web tests' seeded app (demo actors, the two demo territories, `USERS`):
a two-lot tender `UID` matched by two Valenciennes actors (`ESAT` takes LOT-1, `EVE` LOT-2)
with a stored suggestion (ESAT leads), a funding call `FUNDING`, and a one-lot tender of the
MEL `MEL_UID`. Bids are created with the application's own use cases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from web_helpers import email_of

from veilleuse.app import accounts
from veilleuse.app.bid_edits import create_bid, move_bid
from veilleuse.app.context import Context
from veilleuse.core.accounts import User
from veilleuse.core.bids import BidMember, BidStage, GroupedBid, MemberRole
from veilleuse.core.models import (
    GroupedBidSuggestion,
    Lot,
    LotAssignment,
    Match,
    Notice,
    NoticeKind,
    Reason,
)
from veilleuse.records import matches as match_records

UID = "boamp:26-300"
FUNDING = "aides:aap-300"
MEL_UID = "boamp:26-301"
ESAT = "esat-jardins-escaut"  # Valenciennes
EVE = "eve-espaces-verts"  # Valenciennes
ACTIV = "activ-cites"  # Valenciennes
LILLE = "ea-proprete-solidaire-lille"  # MEL
ROUBAIX = "scop-batir-ensemble"  # MEL
TITLE = "Entretien des espaces verts et élagage"


def _notice(uid: str, title: str, **fields: object) -> Notice:
    source, native = uid.split(":", 1)
    values: dict[str, object] = {
        "uid": uid,
        "source": source,
        "native_id": native,
        "kind": NoticeKind.TENDER,
        "title": title,
        "deadline": (datetime.now(UTC) + timedelta(days=30)).date(),
        **fields,
    }
    return Notice.model_validate(values).with_hash()


def seed_bid_world(ctx: Context) -> None:
    ctx.store.write(
        [
            _notice(
                UID,
                TITLE,
                buyer={"name": "Ville de Valenciennes"},
                lots=[
                    Lot(id="LOT-1", title="Tonte", cpv=["77312000"]),
                    Lot(id="LOT-2", title="Élagage", cpv=["77211400"]),
                ],
            ),
            _notice(FUNDING, "Appel à projets alimentation solidaire", kind="funding_call"),
            _notice(MEL_UID, "Nettoyage des locaux de Lille"),
        ]
    )
    reason = Reason(code="cpv", params={"code": "77310000", "closeness": 1.0}, weight=20)
    match_records.save_matches(
        ctx.records,
        [
            Match(actor_id=ESAT, notice_uid=UID, score=71, lot_ids=["LOT-1"], reasons=[reason]),
            Match(actor_id=EVE, notice_uid=UID, score=65, lot_ids=["LOT-2"], reasons=[reason]),
            Match(actor_id=ESAT, notice_uid=FUNDING, score=50, reasons=[reason]),
            Match(actor_id=ACTIV, notice_uid=FUNDING, score=45, reasons=[reason]),
        ],
    )
    match_records.save_suggestions(
        ctx.records,
        [
            GroupedBidSuggestion(
                notice_uid=UID,
                members=[ESAT, EVE],
                lead=ESAT,
                assignments=[
                    LotAssignment(lot_id="LOT-1", actor_id=ESAT, fit=0.9, why=""),
                    LotAssignment(lot_id="LOT-2", actor_id=EVE, fit=0.8, why=""),
                ],
                coverage=1.0,
                score=80,
            )
        ],
    )


def user_of(ctx: Context, who: str) -> User:
    return accounts.get_user_by_email(ctx, email_of(who))


def team(lead: str = ESAT, other: str = EVE) -> list[BidMember]:
    return [
        BidMember(actor_id=lead, role=MemberRole.LEAD, lots=["LOT-1"]),
        BidMember(actor_id=other, role=MemberRole.COTRAITANT, lots=["LOT-2"]),
    ]


def new_bid(
    ctx: Context,
    stage: BidStage = BidStage.SPOTTED,
    who: str = "officer",
    uid: str = UID,
    members: list[BidMember] | None = None,
    **details: object,
) -> GroupedBid:
    """A bid created by `who` with the application's use case (a team by default)."""
    return create_bid(
        ctx, user_of(ctx, who), uid, team() if members is None else members, stage=stage,
        **details,  # type: ignore[arg-type]
    )  # fmt: skip


def moved(ctx: Context, bid: GroupedBid, *stages: BidStage, who: str = "officer") -> GroupedBid:
    assert bid.id is not None
    for stage in stages:
        bid = move_bid(ctx, user_of(ctx, who), bid.id, stage)
    return bid
