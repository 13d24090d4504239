"""What the links of a digest do, for the actor they name, without a password.

- « ça nous intéresse »: records the actor's interest in the notice, as `app.bid_board.
  express_interest` does for an actor account (idempotent: a second click changes nothing;
  a closed notice is refused), with no user behind it (`by_user_id` empty).
- « pas pour nous »: asks a reason (`REASONS`, « autre » with a text), then stores it as
  feedback (`app.feedback.add_feedback`, not relevant): the match is never shown again, as with
  `veilleuse feedback`. Once per actor × notice.
- « chercher des partenaires »: the actor joins the open grouped bid of the notice in its
  territory, or opens one, through the register's use cases (`app.bid_edits`). Those need a
  `grouped_bids.edit` user of the territory: the link acts as a staff user of the actor's
  territory that exists only for the call, named after the actor, so the register's history
  says « <actor> (lien du courriel de veille) ». A bid at « repérée » or « intérêt » is joined
  (and moved to « intérêt »: a member said so); a bid whose team is formed is left to its
  members and the watch officer. Otherwise a bid is created from the stored suggestion when the
  actor is in it, else at « intérêt » with the actor and the other actors of its territory that
  said they were interested (`create_from_interests`). Clicking also records the interest.
  The partners of a bid so opened are asked whether they agree to be put in touch
  (`app.introductions`: the actor asked, so it has accepted).
- « me désabonner » pauses the digest (the profile, history and grouped bids stay);
  « me réabonner » restarts it.

Every function checks the token first (`app.digest_links.open_link`): a tampered, expired or
misused link raises its `LinkError` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from veilleuse.app.bid_edits import (
    create_bid,
    create_from_interests,
    create_from_suggestion,
    move_bid,
    update_bid,
)
from veilleuse.app.context import Context
from veilleuse.app.digest_links import LinkTarget, open_link, page_links
from veilleuse.app.feedback import add_feedback
from veilleuse.app.grouped_bids import list_bids
from veilleuse.app.introductions import introduce_team
from veilleuse.app.notices import is_closed
from veilleuse.app.territories import territories_of_actors
from veilleuse.core.accounts import Role, User
from veilleuse.core.bids import BidFilters, BidMember, BidStage, BidUpdate, GroupedBid
from veilleuse.core.deadlines import effective_deadline
from veilleuse.core.errors import NotFoundError, ValidationError
from veilleuse.core.models import Actor, DigestPreferences, Notice
from veilleuse.core.signed_links import LinkAction
from veilleuse.records import actors as actor_records
from veilleuse.records import interests as interest_records
from veilleuse.records import matches as match_records

#: the reasons offered by « pas pour nous », stored as « code: label — text »
REASONS = {
    "too_far": "trop loin",
    "not_our_trade": "pas notre métier",
    "too_big": "trop gros",
    "already_seen": "déjà vu",
    "other": "autre",
}
MAX_DETAIL = 500
#: the stages at which a bid is still looking for its members
JOINABLE = (BidStage.SPOTTED, BidStage.INTEREST)
VIA_LINK = "lien du courriel de veille"


class ClosedNoticeError(ValidationError):
    """The notice of the link is closed or its deadline has passed: nothing recorded."""

    def __init__(self) -> None:
        super().__init__(
            "Cet avis est clos ou sa date limite est passée : rien n'a été enregistré."
        )


def _open_notice(ctx: Context, token: str, action: LinkAction) -> tuple[LinkTarget, Notice]:
    target = open_link(ctx, token, action)
    assert target.notice is not None  # a notice action's token names one
    return target, target.notice


def _identity(notice: Notice) -> list[str]:
    return [notice.uid, *notice.also_in]


def by_link(actor: Actor) -> str:
    """Who the records say did it: « <actor> (lien du courriel de veille) »."""
    return f"{actor.name} ({VIA_LINK})"[:120]


# --------------------------------------------------------------------------- interest


@dataclass(frozen=True)
class InterestOutcome:
    target: LinkTarget
    #: False when the actor had already said so (nothing changed)
    created: bool
    deadline: date | datetime | None
    #: the page's « chercher des partenaires » and « pas pour nous » links
    partners_path: str
    not_for_us_path: str


def follow_interest(ctx: Context, token: str) -> InterestOutcome:
    """« Ça nous intéresse » (see the module docstring)."""
    target, notice = _open_notice(ctx, token, LinkAction.INTERESTED)
    if is_closed(ctx, notice):
        raise ClosedNoticeError()
    created = interest_records.add_interest(
        ctx.records, target.actor.id, notice.uid, None, ctx.now()
    )
    links = page_links(ctx)
    return InterestOutcome(
        target,
        created,
        effective_deadline(notice),
        links.path(target.actor.id, LinkAction.PARTNERS, notice.uid),
        links.path(target.actor.id, LinkAction.NOT_FOR_US, notice.uid),
    )


# --------------------------------------------------------------------------- not for us


@dataclass(frozen=True)
class NotForUs:
    target: LinkTarget
    #: the pair was already marked not relevant (by this link or by someone else)
    already: bool
    created: bool = False


def not_for_us_state(ctx: Context, token: str) -> NotForUs:
    """The « pas pour nous » page: whether the reason is already recorded. Changes nothing."""
    target, notice = _open_notice(ctx, token, LinkAction.NOT_FOR_US)
    return NotForUs(target, match_records.is_rejected(ctx.records, target.actor.id, notice.uid))


def reason_text(reason: str, detail: str) -> str:
    """« too_far: trop loin — au-delà de 40 km »; `ValidationError` in French when the reason
    is unknown, or « autre » without a text."""
    if reason not in REASONS:
        raise ValidationError("Choisissez une des raisons proposées.")
    text = " ".join(detail.split())[:MAX_DETAIL]
    if reason == "other" and not text:
        raise ValidationError("Raison « autre » : dites-la en quelques mots.")
    return f"{reason}: {REASONS[reason]}" + (f" — {text}" if text else "")


def record_not_for_us(ctx: Context, token: str, reason: str, detail: str = "") -> NotForUs:
    """Store « pas pour nous » with its reason (once per actor × notice; see the docstring)."""
    target, notice = _open_notice(ctx, token, LinkAction.NOT_FOR_US)
    text = reason_text(reason, detail)
    actor_id = target.actor.id
    if match_records.is_rejected(ctx.records, actor_id, notice.uid):
        return NotForUs(target, already=True)
    add_feedback(ctx, actor_id, notice.uid, False, reason=text, by=by_link(target.actor))
    return NotForUs(target, already=False, created=True)


# --------------------------------------------------------------------------- partners


@dataclass
class Partners:
    """The « chercher des partenaires » page: the bid the actor is in or may join, or who
    could answer with it."""

    target: LinkTarget
    territory_id: str | None
    #: the open bid of the notice the actor is a member of, else one it may join, else a bid
    #: whose team is already formed (None when there is no open bid in its territory)
    bid: GroupedBid | None
    member: bool
    #: actor id → name, for the bid's members and the partners named below
    names: dict[str, str] = field(default_factory=dict)
    #: the team suggested for the notice, when the actor is in it (other members, by name)
    suggested: list[str] = field(default_factory=list)
    #: other actors of its territory that said they were interested (by name)
    interested: list[str] = field(default_factory=list)
    created: bool = False
    joined: bool = False

    @property
    def joinable(self) -> bool:
        return self.bid is not None and not self.member and self.bid.stage in JOINABLE


def link_user(actor: Actor, territory_id: str) -> User:
    """The user the register's use cases see behind a partners link (never stored)."""
    return User(
        id=0,
        email="liens@veilleuse.invalid",
        name=by_link(actor),
        role=Role.STAFF,
        territory_id=territory_id,
    )


def _territory(ctx: Context, actor: Actor) -> str | None:
    return territories_of_actors(ctx, [actor.id]).get(actor.id)


def _partners(ctx: Context, target: LinkTarget, territory: str | None) -> Partners:
    notice = target.notice
    assert notice is not None
    actor = target.actor
    if territory is None:
        return Partners(target, None, None, False)
    user = link_user(actor, territory)
    bids = list_bids(ctx, user, BidFilters(notice_uids=_identity(notice), open_only=True))
    mine = next((b for b in bids if actor.id in b.member_ids()), None)
    bid = mine or next((b for b in bids if b.stage in JOINABLE), None) or next(iter(bids), None)
    suggestion = match_records.suggestion_of_notice(ctx.records, notice.uid)
    suggested = []
    if suggestion is not None and actor.id in suggestion.members:
        suggested = [m for m in suggestion.members if m != actor.id]
    interests = interest_records.interests_of_notices(ctx.records, _identity(notice))
    same_territory = territories_of_actors(ctx, {i.actor_id for i in interests})
    interested = list(
        dict.fromkeys(
            i.actor_id
            for i in interests
            if i.actor_id != actor.id and same_territory.get(i.actor_id) == territory
        )
    )
    ids = {*(bid.member_ids() if bid else []), *suggested, *interested, actor.id}
    names = {a.id: a.name for a in actor_records.get_actors(ctx.records, sorted(ids))}
    return Partners(
        target,
        territory,
        bid,
        member=mine is not None,
        names=names,
        suggested=[names.get(a, a) for a in suggested],
        interested=[names.get(a, a) for a in interested],
    )


def partners_state(ctx: Context, token: str) -> Partners:
    """The « chercher des partenaires » page (see `Partners`). Changes nothing."""
    target, _ = _open_notice(ctx, token, LinkAction.PARTNERS)
    return _partners(ctx, target, _territory(ctx, target.actor))


def seek_partners(ctx: Context, token: str) -> Partners:
    """Join or open the notice's grouped bid for the actor (see the module docstring);
    clicking twice changes nothing more. `ValidationError` when the notice is closed or the
    actor belongs to no territory."""
    target, notice = _open_notice(ctx, token, LinkAction.PARTNERS)
    if is_closed(ctx, notice):
        raise ClosedNoticeError()
    actor = target.actor
    territory = _territory(ctx, actor)
    if territory is None:
        raise ValidationError(
            "Votre structure n'est rattachée à aucun territoire de Veilleuse : écrivez à "
            "votre chargé·e de veille, qui ouvrira le groupement avec vous."
        )
    interest_records.add_interest(ctx.records, actor.id, notice.uid, None, ctx.now())
    user = link_user(actor, territory)
    state = _partners(ctx, target, territory)
    bid, created, joined = state.bid, False, False
    if bid is not None and state.joinable:
        lots = _lots(ctx, notice, actor.id)
        members = [*bid.members, BidMember(actor_id=actor.id, lots=lots)]
        bid = update_bid(ctx, user, _id(bid), BidUpdate(members=members))
        joined = True
    elif bid is None:
        bid, created = _open_bid(ctx, user, notice, actor), True
    if bid is not None and bid.stage is BidStage.SPOTTED and actor.id in bid.member_ids():
        # a member said it is interested: the bid moves on to « intérêt »
        move_bid(ctx, user, _id(bid), BidStage.INTEREST, note=f"intérêt ({VIA_LINK})")
    result = _partners(ctx, target, territory)
    result.created, result.joined = created, joined
    return result


def _id(bid: GroupedBid) -> int:
    assert bid.id is not None  # a stored bid
    return bid.id


def _lots(ctx: Context, notice: Notice, actor_id: str) -> list[str]:
    match = next(
        (
            m
            for m in match_records.matches_of_notice(ctx.records, notice.uid)
            if m.actor_id == actor_id
        ),
        None,
    )
    return list(match.lot_ids) if match else []


def _open_bid(ctx: Context, user: User, notice: Notice, actor: Actor) -> GroupedBid:
    """A new bid: from the stored suggestion when the actor is in it (and the register
    accepts it), else at « intérêt » with the interested actors of the territory."""
    suggestion = match_records.suggestion_of_notice(ctx.records, notice.uid)
    if suggestion is not None and actor.id in suggestion.members:
        try:
            return create_from_suggestion(ctx, user, notice.uid, requester_id=actor.id)
        except (NotFoundError, ValidationError):
            pass  # a member of another territory, or a bid already made from it: by interests
    territory = user.territory_id
    interests = interest_records.interests_of_notices(ctx.records, _identity(notice))
    assigned = territories_of_actors(ctx, {i.actor_id for i in interests})
    others = [i.actor_id for i in interests if assigned.get(i.actor_id) == territory]
    ids = list(dict.fromkeys([actor.id, *others]))
    try:
        bid = create_from_interests(ctx, user, notice.uid, ids)
    except NotFoundError:  # an interested actor no longer stored: the actor alone
        return create_bid(
            ctx, user, notice.uid, [BidMember(actor_id=actor.id)], stage=BidStage.INTEREST
        )
    introduce_team(ctx, bid, actor.id)  # the interested partners, asked for their consent
    return bid


# --------------------------------------------------------------------------- subscription


@dataclass(frozen=True)
class Subscription:
    target: LinkTarget
    #: False when it was already in that state (nothing changed)
    changed: bool
    #: the digest is paused now
    paused: bool
    resubscribe_path: str
    unsubscribe_path: str
    preferences_path: str


def _subscription(ctx: Context, target: LinkTarget, changed: bool) -> Subscription:
    links = page_links(ctx)
    actor_id = target.actor.id
    return Subscription(
        target,
        changed,
        paused=not target.actor.digest.enabled,
        resubscribe_path=links.path(actor_id, LinkAction.RESUBSCRIBE),
        unsubscribe_path=links.path(actor_id, LinkAction.UNSUBSCRIBE),
        preferences_path=links.path(actor_id, LinkAction.PREFERENCES),
    )


def _save_digest(ctx: Context, target: LinkTarget, digest: DigestPreferences) -> LinkTarget:
    actor = target.actor.model_copy(update={"digest": digest})
    actor_records.upsert_actors(ctx.records, [actor])
    return LinkTarget(target.token, target.link, actor, target.notice)


def subscription_state(ctx: Context, token: str) -> Subscription:
    """The unsubscribe page before confirming (a mail scanner opening the link stops
    nothing). Changes nothing."""
    return _subscription(ctx, open_link(ctx, token, LinkAction.UNSUBSCRIBE), False)


def unsubscribe(ctx: Context, token: str) -> Subscription:
    """Pause the actor's digest (RFC 8058 one-click, or the page's button). The profile, its
    history and its grouped bids stay; `unsubscribed_at` says when. Idempotent."""
    target = open_link(ctx, token, LinkAction.UNSUBSCRIBE)
    digest = target.actor.digest
    if not digest.enabled:
        return _subscription(ctx, target, False)
    paused = digest.model_copy(update={"enabled": False, "unsubscribed_at": ctx.now()})
    return _subscription(ctx, _save_digest(ctx, target, paused), True)


def resubscribe(ctx: Context, token: str) -> Subscription:
    """Start the actor's digest again with its preferences as they were. Idempotent."""
    target = open_link(ctx, token, LinkAction.RESUBSCRIBE)
    digest = target.actor.digest
    if digest.enabled:
        return _subscription(ctx, target, False)
    kinds = digest.kinds or DigestPreferences().kinds
    started = digest.model_copy(update={"enabled": True, "unsubscribed_at": None, "kinds": kinds})
    return _subscription(ctx, _save_digest(ctx, target, started), True)
