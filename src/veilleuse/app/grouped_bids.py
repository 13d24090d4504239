"""The grouped-bid register, reading: one bid with its notice and members, lists and their lines.

Every function takes the signed-in user. Reading needs `grouped_bids.view` (staff, officers,
the committee, admins), changing needs `grouped_bids.edit` (`PermissionDeniedError` otherwise,
see `need_view` / `need_edit`). A user sees the bids of its territories only (an admin sees
all): a bid of another territory is `NotFoundError`, so its existence does not show.

Changes are in `app.bid_edits` (create, move, update), the board and the interests actors
express in `app.bid_board`, exports in `app.bid_exports`, outcomes read from award notices in
`app.bid_outcomes`; the rules themselves in `core.grouped_bids`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from veilleuse.app.context import Context
from veilleuse.core.accounts import Permission, User, can, visible_territories
from veilleuse.core.bids import BidFilters, BidStage, GroupedBid
from veilleuse.core.deadlines import effective_deadline
from veilleuse.core.errors import NotFoundError, PermissionDeniedError, ValidationError
from veilleuse.core.grouped_bids import allowed_from
from veilleuse.core.models import Actor, Notice
from veilleuse.records import actors as actor_records
from veilleuse.records import grouped_bids as bid_records

E = TypeVar("E", bound=StrEnum)


def enum_value(kind: type[E], value: E | str, what: str) -> E:
    """`value` as a value of `kind` (a stage, a reason, a form… as a form or the API sends it);
    a French `ValidationError` naming the allowed values otherwise."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(v.value for v in kind)
        raise ValidationError(f"{what} inconnue : {value!r} (valeurs : {choices})") from None


def need_view(user: User) -> None:
    """`PermissionDeniedError` unless `user` may read the register."""
    if not can(user, Permission.GROUPED_BIDS_VIEW):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de consulter les groupements."
        )


def need_edit(user: User) -> None:
    """`PermissionDeniedError` unless `user` may change the register."""
    if not can(user, Permission.GROUPED_BIDS_EDIT):
        raise PermissionDeniedError(
            f"Votre rôle ({user.role.label}) ne permet pas de modifier les groupements."
        )


def may_see(user: User, bid: GroupedBid) -> bool:
    """Whether the bid belongs to one of `user`'s territories (an admin sees every bid)."""
    territories = visible_territories(user)
    return territories is None or bid.territory_id in territories


def scoped(user: User, filters: BidFilters | None) -> BidFilters:
    """`filters` narrowed to the territories `user` sees (asked territories it does not see
    select nothing)."""
    filters = filters or BidFilters()
    territories = visible_territories(user)
    if territories is None:
        return filters
    asked = filters.territories
    allowed = sorted(territories if asked is None else set(asked) & territories)
    return filters.model_copy(update={"territories": allowed})


def visible_bid(ctx: Context, user: User, bid_id: int) -> GroupedBid:
    """The stored bid if `user` may read it; `NotFoundError` when unknown or of another
    territory, `PermissionDeniedError` without `grouped_bids.view`."""
    need_view(user)
    bid = bid_records.get_grouped_bid(ctx.records, bid_id)
    if bid is None or not may_see(user, bid):
        raise NotFoundError(f"groupement inconnu : {bid_id}")
    return bid


# --------------------------------------------------------------------------- one bid


@dataclass
class BidView:
    """A bid as its page shows it: the notice (None when the store no longer has it), the
    members' actors, the stages it may move to (empty when the user may not change it)."""

    bid: GroupedBid
    notice: Notice | None
    #: actor id → actor, for the members still stored
    actors: dict[str, Actor]
    #: actor id → name (the id itself for a member no longer stored)
    names: dict[str, str]
    #: lot id → "LOT-2 « Élagage »" for the notice's lots
    lot_titles: dict[str, str]
    next_stages: tuple[BidStage, ...]
    editable: bool

    @property
    def notice_title(self) -> str | None:
        return self.notice.title if self.notice else None

    @property
    def buyer(self) -> str | None:
        return self.notice.buyer.name if self.notice else None

    @property
    def deadline(self) -> date | datetime | None:
        return effective_deadline(self.notice) if self.notice else None


def get_bid(ctx: Context, user: User, bid_id: int) -> BidView:
    """One bid with its notice and its members' actors (see `BidView`)."""
    bid = visible_bid(ctx, user, bid_id)
    notice = ctx.store.get(bid.notice_uid)
    actors = {a.id: a for a in actor_records.get_actors(ctx.records, bid.member_ids())}
    editable = can(user, Permission.GROUPED_BIDS_EDIT)
    lots = notice.lots if notice else []
    return BidView(
        bid=bid,
        notice=notice,
        actors=actors,
        names={a: actors[a].name if a in actors else a for a in bid.member_ids()},
        lot_titles={lot.id: f"{lot.id} « {lot.title} »" if lot.title else lot.id for lot in lots},
        next_stages=allowed_from(bid.stage) if editable else (),
        editable=editable,
    )


# --------------------------------------------------------------------------- lists


def list_bids(ctx: Context, user: User, filters: BidFilters | None = None) -> list[GroupedBid]:
    """The bids of `filters` among those `user` sees, oldest first (members and history
    included; three queries whatever the count)."""
    need_view(user)
    return bid_records.list_grouped_bids(ctx.records, scoped(user, filters))


def count_bids(ctx: Context, user: User, filters: BidFilters | None = None) -> int:
    """How many bids `list_bids` would return without paging."""
    need_view(user)
    return bid_records.count_grouped_bids(ctx.records, scoped(user, filters))


def member_names(ctx: Context, bids: Sequence[GroupedBid]) -> dict[str, str]:
    """Actor id → name for every member of `bids` (one query; the id when no longer stored)."""
    ids = sorted({a for bid in bids for a in bid.member_ids()})
    found = {a.id: a.name for a in actor_records.get_actors(ctx.records, ids)}
    return {a: found.get(a, a) for a in ids}


@dataclass
class BidLine:
    """A bid on a list or on the board, with what its line shows beside it."""

    bid: GroupedBid
    #: actor id → name for the members
    names: dict[str, str]
    notice_title: str | None
    deadline: date | datetime | None
    #: stages the user may move it to now (empty when the user may not change it)
    next_stages: tuple[BidStage, ...] = field(default_factory=tuple)


def bid_lines(ctx: Context, user: User, bids: Sequence[GroupedBid]) -> list[BidLine]:
    """Lines for `bids` (already read for `user`): one store read and one actor query."""
    names = member_names(ctx, bids)
    uids = sorted({b.notice_uid for b in bids})
    notices = {n.uid: n for n in ctx.store.get_many(uids)} if uids else {}
    editable = can(user, Permission.GROUPED_BIDS_EDIT)
    lines = []
    for bid in bids:
        notice = notices.get(bid.notice_uid)
        lines.append(
            BidLine(
                bid=bid,
                names={a: names[a] for a in bid.member_ids()},
                notice_title=notice.title if notice else None,
                deadline=effective_deadline(notice) if notice else None,
                next_stages=allowed_from(bid.stage) if editable else (),
            )
        )
    return lines
