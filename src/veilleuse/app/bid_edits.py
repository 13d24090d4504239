"""The grouped-bid register, changes: create a bid (by hand, from the stored suggestion, from
the actors that said they were interested), move it to another stage, edit its details.

Every function needs `grouped_bids.edit` (`PermissionDeniedError`) and checks, before anything
is written, the notice (`NotFoundError`), the bid (`NotFoundError` when unknown or of another
territory) and every member (`NotFoundError` for an actor the user may not see). The rules of a
change are those of `core.grouped_bids`, checked again by the records layer inside the
transaction that writes it.

A new bid belongs to the territory of the user who creates it (an admin: the territory given,
else its lead's, else its first member's that has one).

A bid created from a suggestion (`create_from_suggestion`, one click on the notice page) takes
the suggested team: its lead as mandataire, the others as cotraitants, each with the lots the
suggestion gave it. It starts at « intérêt » when a member already said it was interested in
the notice (or one of its duplicates in other sources), else at « repérée »: the team is a
proposal until its members agree, so it is never created at « équipe formée ». Its members are
introduced to each other (`app.introductions`): each is asked by e-mail, as its preferences
allow, and their contact details are shared only between those who both accept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from veilleuse.app.context import Context
from veilleuse.app.grouped_bids import enum_value, need_edit, scoped, visible_bid
from veilleuse.app.introductions import introduce_team
from veilleuse.app.notices import get_notice
from veilleuse.app.territories import get_territory, territories_of_actors, visible_among
from veilleuse.core.accounts import User, visible_territories
from veilleuse.core.bids import (
    BidFilters,
    BidForm,
    BidKind,
    BidMember,
    BidStage,
    BidUpdate,
    GroupedBid,
    LossReason,
    MemberRole,
)
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.core.grouped_bids import StageChange, check_members, clean_details
from veilleuse.core.models import Actor, Money, Notice, NoticeKind
from veilleuse.records import actors as actor_records
from veilleuse.records import grouped_bids as bid_records
from veilleuse.records import interests as interest_records
from veilleuse.records import matches as match_records


def _by(user: User) -> str:
    return user.display_name


def kind_of(notice: Notice) -> BidKind:
    """A funding call is answered by a `funding` bid, anything else by a `tender` one."""
    return BidKind.FUNDING if notice.kind is NoticeKind.FUNDING_CALL else BidKind.TENDER


def _team_actors(ctx: Context, user: User, actor_ids: Sequence[str]) -> dict[str, Actor]:
    """The stored actors of `actor_ids`; `NotFoundError` for one unknown or not visible."""
    visible = visible_among(ctx, user, set(actor_ids))
    actors = {a.id: a for a in actor_records.get_actors(ctx.records, sorted(visible))}
    for actor_id in actor_ids:
        if actor_id not in actors:
            raise NotFoundError(f"structure inconnue : {actor_id!r}")
    return actors


def _territory(ctx: Context, user: User, members: Sequence[str], asked: str | None) -> str:
    own = visible_territories(user)
    if own is not None:
        if asked is not None and asked not in own:
            raise NotFoundError(f"territoire inconnu : {asked!r}")
        if asked is not None or len(own) == 1:
            return asked or next(iter(own))
        raise ValidationError("ce compte n'est rattaché à aucun territoire")
    if asked is not None:
        return get_territory(ctx, asked).id
    assigned = territories_of_actors(ctx, members)
    found = next((assigned[a] for a in members if a in assigned), None)
    if found is None:
        raise ValidationError(
            "indiquez le territoire du groupement : aucune de ses structures n'est rattachée "
            "à un territoire"
        )
    return found


# --------------------------------------------------------------------------- creating


def create_bid(
    ctx: Context,
    user: User,
    notice_uid: str,
    members: Sequence[BidMember],
    *,
    kind: BidKind | str | None = None,
    title: str | None = None,
    stage: BidStage | str = BidStage.SPOTTED,
    form: BidForm | str | None = None,
    contact_name: str | None = None,
    contact_email: str | None = None,
    documents: Sequence[str] = (),
    notes: str | None = None,
    territory_id: str | None = None,
    from_suggestion: bool = False,
) -> GroupedBid:
    """Register a grouped bid on any notice, by hand; return it stored.

    `kind` defaults from the notice (a funding call → `funding`), `title` to the notice's,
    the contact to the lead's first contact. `stage` is one of the initial stages (`spotted`
    by default; a bid registered late may start at `submitted`). Raises `ValidationError` for
    an invalid team or detail (French message naming it).
    """
    need_edit(user)
    notice = get_notice(ctx, notice_uid)
    stage = enum_value(BidStage, stage, "étape")
    check_members(members, stage)
    ids = [m.actor_id for m in members]
    actors = _team_actors(ctx, user, ids)
    lead = next((actors[m.actor_id] for m in members if m.role is MemberRole.LEAD), None)
    contact = lead.contacts[0] if lead and lead.contacts else None
    details = clean_details(
        BidUpdate(
            title=title or notice.title,
            contact_name=contact_name or (contact.name if contact else None),
            contact_email=contact_email or (contact.email if contact else None),
            documents=list(documents),
            notes=notes,
        )
    )
    bid = GroupedBid.model_validate(
        {
            **details,
            "kind": enum_value(BidKind, kind, "nature") if kind else kind_of(notice),
            "notice_uid": notice.uid,
            "territory_id": _territory(ctx, user, ids, territory_id),
            "stage": stage,
            "members": list(members),
            "form": enum_value(BidForm, form, "forme") if form else None,
            "from_suggestion": from_suggestion,
        }
    )
    return bid_records.create_grouped_bid(ctx.records, bid, by=_by(user), at=ctx.now())


def _identity(notice: Notice) -> list[str]:
    return [notice.uid, *notice.also_in]


def create_from_suggestion(
    ctx: Context, user: User, notice_uid: str, *, requester_id: str | None = None
) -> GroupedBid:
    """One click: the stored suggestion of the notice becomes a bid (see the module docstring).

    `requester_id`: the actor that asked for partners (it has accepted the introduction by
    asking); None when the network creates it (every member is asked, the lead included).
    `NotFoundError` when the notice has no suggestion (or one with an actor the user may not
    see); `ValidationError` when a bid was already created from it in the user's territories.
    """
    need_edit(user)
    notice = get_notice(ctx, notice_uid)
    suggestion = match_records.suggestion_of_notice(ctx.records, notice.uid)
    if suggestion is None:
        raise NotFoundError(f"aucune équipe suggérée pour l'avis {notice.uid!r}")
    earlier = bid_records.list_grouped_bids(
        ctx.records,
        scoped(user, BidFilters(notice_uids=[notice.uid], from_suggestion=True)),
    )
    if earlier:
        raise ValidationError(
            f"un groupement a déjà été créé depuis cette suggestion (n° {earlier[0].id})"
        )
    order = [suggestion.lead, *(m for m in suggestion.members if m != suggestion.lead)]
    members = [
        BidMember(
            actor_id=actor_id,
            role=MemberRole.LEAD if actor_id == suggestion.lead else MemberRole.COTRAITANT,
            lots=list(
                dict.fromkeys(a.lot_id for a in suggestion.assignments if a.actor_id == actor_id)
            ),
        )
        for actor_id in order
    ]
    interested = interest_records.interests_of_notices(ctx.records, _identity(notice))
    stage = BidStage.INTEREST if {i.actor_id for i in interested} & set(order) else BidStage.SPOTTED
    bid = create_bid(ctx, user, notice.uid, members, stage=stage, from_suggestion=True)
    introduce_team(ctx, bid, requester_id if requester_id in order else None)
    return bid


def create_from_interests(
    ctx: Context, user: User, notice_uid: str, actor_ids: Sequence[str]
) -> GroupedBid:
    """A bid at « intérêt » with these actors (those that said they were interested, as the
    board's « équipes possibles » shows them), each with the lots its stored match covers;
    no lead yet (one is named when the team is formed)."""
    need_edit(user)
    notice = get_notice(ctx, notice_uid)
    wanted = list(dict.fromkeys(a.strip() for a in actor_ids if a.strip()))
    lots = {
        m.actor_id: list(m.lot_ids)
        for m in match_records.matches_of_notice(ctx.records, notice.uid)
    }
    members = [BidMember(actor_id=a, lots=lots.get(a, [])) for a in wanted]
    return create_bid(ctx, user, notice.uid, members, stage=BidStage.INTEREST)


# --------------------------------------------------------------------------- changing


def move_bid(
    ctx: Context,
    user: User,
    bid_id: int,
    to_stage: BidStage | str,
    note: str | None = None,
    reason: LossReason | str | None = None,
    detail: str | None = None,
    amount_won: Money | float | None = None,
    shares: Mapping[str, float] | None = None,
    *,
    expected_stage: BidStage | str | None = None,
) -> GroupedBid:
    """Move a bid to another stage; return it.

    `reason` (and `detail` for `other`) for lost / abandoned; `amount_won` (a number is in
    euros) and `shares` (actor id → %, summing to 100; the members' stored shares otherwise)
    for won. `expected_stage`, the stage the person saw (default: the stage read first), makes
    a change decided on a stale page a `TransitionError`. Raises `TransitionError` for a change the table refuses and
    `ValidationError` for a change lacking what it requires; nothing is written then.
    """
    need_edit(user)
    seen = visible_bid(ctx, user, bid_id)
    amount = Money(amount=amount_won) if isinstance(amount_won, int | float) else amount_won
    change = StageChange(
        enum_value(BidStage, to_stage, "étape"),
        note=note,
        reason=enum_value(LossReason, reason, "raison") if reason else None,
        detail=detail,
        amount_won=amount,
        shares=shares,
    )
    # without the stage the person saw, the one just read: a change made meanwhile is refused
    expected = enum_value(BidStage, expected_stage, "étape") if expected_stage else seen.stage
    return bid_records.move_grouped_bid(
        ctx.records, bid_id, [change], by=_by(user), at=ctx.now(), expected=expected
    )


def update_bid(ctx: Context, user: User, bid_id: int, changes: BidUpdate) -> GroupedBid:
    """Change a bid's details (only the fields `changes` sets; see `core.bids.BidUpdate`);
    return it. An actor added to the team must be one the user sees (`NotFoundError`)."""
    need_edit(user)
    bid = visible_bid(ctx, user, bid_id)
    if changes.members is not None:
        added = [m.actor_id for m in changes.members if m.actor_id not in bid.member_ids()]
        _team_actors(ctx, user, added)
    return bid_records.update_grouped_bid(ctx.records, bid_id, changes, at=ctx.now())
